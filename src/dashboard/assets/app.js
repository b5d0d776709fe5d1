// The dashboard's only script (the CSP allows no other). Every page works without it: it adds copy
// buttons, a modal for confirmations, the one-time key dialog as a modal, and the usage charts.

// Copy buttons: data-copy names the element whose value or text to copy.
document.addEventListener('click', async (event) => {
  const button = event.target.closest('[data-copy]')
  if (!button) return
  const source = document.querySelector(button.dataset.copy)
  if (!source) return
  const text = 'value' in source && source.tagName !== 'PRE' ? source.value : source.textContent
  try {
    await navigator.clipboard.writeText(text)
  } catch {
    // Clipboard API refused (no permission, plain http): select it so Ctrl+C works.
    const range = document.createRange()
    if (source.select) source.select()
    else {
      range.selectNodeContents(source)
      window.getSelection().removeAllRanges()
      window.getSelection().addRange(range)
    }
    document.execCommand('copy')
  }
  const label = button.textContent
  button.textContent = 'Copied'
  setTimeout(() => (button.textContent = label), 1500)
})

// Confirmations: a form with data-confirm asks in the page's modal, then posts with confirmed=1.
// Without this script the server asks on a page of its own instead.
document.addEventListener('submit', (event) => {
  const form = event.target
  if (!form.dataset.confirm || form.dataset.confirmed) return
  const dialog = document.getElementById('confirm')
  if (!dialog || !dialog.showModal) return
  event.preventDefault()
  dialog.querySelector('#confirm-title').textContent = form.dataset.confirmTitle || 'Are you sure?'
  dialog.querySelector('#confirm-text').textContent = form.dataset.confirm
  const ok = dialog.querySelector('[data-confirm-ok]')
  ok.textContent = form.dataset.confirmAction || 'Confirm'
  const cancel = dialog.querySelector('[data-confirm-cancel]')
  const done = (confirmed) => {
    ok.onclick = cancel.onclick = null
    dialog.close()
    if (!confirmed) return
    const field = document.createElement('input')
    field.type = 'hidden'
    field.name = 'confirmed'
    field.value = '1'
    form.appendChild(field)
    form.dataset.confirmed = '1'
    if (form.requestSubmit) form.requestSubmit()
    else form.submit()
  }
  ok.onclick = () => done(true)
  cancel.onclick = () => done(false)
  dialog.oncancel = () => (ok.onclick = cancel.onclick = null)
  dialog.showModal()
  // The safe choice has the focus: Enter or Escape does nothing harmful.
  cancel.focus()
})

window.addEventListener('DOMContentLoaded', () => {
  // A page answering a POST names the address to show, so reloading asks for that page with a GET
  // (the key or secret in this answer is then gone for good).
  const location = document.body.dataset.location
  if (location) window.history.replaceState(null, '', location)

  // The one-time key dialog: rendered open for script-less browsers, made modal here so focus stays
  // in it until it is dismissed; once dismissed, the key leaves the page.
  for (const dialog of document.querySelectorAll('dialog[data-modal][open]')) {
    if (!dialog.showModal) continue
    dialog.close()
    dialog.showModal()
    dialog.querySelector('[data-copy]')?.focus()
    // The close() above still dispatches its event, later, while the modal is open: ignore that one.
    dialog.addEventListener('close', () => {
      if (!dialog.open) dialog.remove()
    })
  }

  // Webhook events: ticking an event chooses "Only these".
  document.addEventListener('change', (event) => {
    if (event.target.name !== 'events') return
    const some = event.target.form?.querySelector('input[name=events_mode][value=some]')
    if (some && event.target.checked) some.checked = true
  })

  const charts = document.querySelectorAll('canvas[data-chart]')
  if (charts.length === 0) return
  // The chart library is loaded only by the page that draws one.
  const script = document.createElement('script')
  script.src = '/dashboard-assets/chart.umd.min.js'
  script.onload = () => {
    const style = window.getComputedStyle(document.body)
    window.Chart.defaults.font.family = style.fontFamily
    window.Chart.defaults.color = style.getPropertyValue('--muted').trim() || '#5b6474'
    for (const canvas of charts) {
      const { labels, datasets } = JSON.parse(document.getElementById(canvas.dataset.chart).textContent)
      new window.Chart(canvas, {
        type: 'bar',
        data: { labels, datasets: datasets.map((d) => ({ ...d, borderRadius: 2, maxBarThickness: 28 })) },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          interaction: { mode: 'index', intersect: false },
          plugins: { legend: { position: 'bottom', labels: { boxWidth: 12, boxHeight: 12 } } },
          scales: {
            x: { stacked: true, grid: { display: false } },
            y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
          },
        },
      })
      canvas.dataset.ready = '1'
    }
  }
  document.head.appendChild(script)
})
