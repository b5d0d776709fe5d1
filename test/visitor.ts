/** A browser without a browser: a cookie jar, forms posted as a browser posts them, the last page's tokens. */
export class Visitor {
  cookies = new Map<string, string>()
  page = ''
  constructor(private readonly base: string) {}

  async request(path: string, init: { method?: string; form?: Record<string, string | string[]> } = {}) {
    const headers: Record<string, string> = {}
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
    let body: URLSearchParams | undefined
    if (init.form) {
      body = new URLSearchParams()
      for (const [k, v] of Object.entries(init.form)) for (const one of [v].flat()) body.append(k, one)
    }
    const res = await fetch(path.startsWith('http') ? path : `${this.base}${path}`, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual' })
    for (const cookie of res.headers.getSetCookie()) {
      const [pair] = cookie.split(';')
      const name = pair!.slice(0, pair!.indexOf('='))
      if (/max-age=0/i.test(cookie)) this.cookies.delete(name)
      else this.cookies.set(name, pair!.slice(name.length + 1))
    }
    const text = await res.text()
    if (res.headers.get('content-type')?.startsWith('text/html')) this.page = text
    return { status: res.status, headers: res.headers, text, location: res.headers.get('location') }
  }

  get = (path: string) => this.request(path)
  /** Posts with the `_csrf` (and `_once`) of the last page, as its form would; `fields` may override them. */
  post = (path: string, fields: Record<string, string | string[]> = {}) => this.request(path, { form: { _csrf: this.token('_csrf'), _once: this.token('_once'), ...fields } })
  token = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(this.page)?.[1] ?? ''

  async signIn(email: string, password: string) {
    await this.get('/login')
    return this.post('/login', { email, password })
  }
}
