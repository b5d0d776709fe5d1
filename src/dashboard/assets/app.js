// The dashboard's only script: copy buttons, confirmations and the usage chart. Pages work without it.
document.addEventListener('click', async (event) => {
  const button = event.target.closest('[data-copy]')
  if (!button) return
  const source = document.querySelector(button.dataset.copy)
  const text = 'value' in source ? source.value : source.textContent
  try {
    await navigator.clipboard.writeText(text)
  } catch {
    source.select?.()
    document.execCommand('copy')
  }
  const label = button.textContent
  button.textContent = 'Copied'
  setTimeout(() => (button.textContent = label), 1500)
})

document.addEventListener('submit', (event) => {
  const message = event.target.dataset.confirm
  if (message && !window.confirm(message)) event.preventDefault()
})

window.addEventListener('DOMContentLoaded', () => {
  const data = document.getElementById('usage-data')
  const canvas = document.getElementById('usage-chart')
  if (!data || !canvas) return
  // The chart library is loaded only on the page that draws one.
  const script = document.createElement('script')
  script.src = '/dashboard-assets/chart.umd.min.js'
  script.onload = () => {
    const { labels, datasets } = JSON.parse(data.textContent)
    new window.Chart(canvas, {
      type: 'bar',
      data: { labels, datasets },
      options: { responsive: true, maintainAspectRatio: false, animation: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
    })
    canvas.dataset.ready = '1'
  }
  document.head.appendChild(script)
})
