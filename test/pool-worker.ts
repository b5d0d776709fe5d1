/** A worker module for the WorkerPool tests: echoes, spins past any time limit, or eats its heap. */
export default function handle(task: { kind: 'echo' | 'spin' | 'grow' | 'throw'; value?: number }): number {
  if (task.kind === 'spin') for (;;);
  if (task.kind === 'grow') {
    const hoard: number[][] = []
    for (;;) hoard.push(new Array(1_000_000).fill(Math.random()))
  }
  if (task.kind === 'throw') throw new Error('refused by the handler')
  return (task.value ?? 0) + 1
}
