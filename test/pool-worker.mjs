// A plain JavaScript worker module, as a compiled product ships one: it loads without tsx.
export default function handle(task) {
  return { doubled: task.value * 2 }
}
