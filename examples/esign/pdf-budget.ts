import { constants, inflateSync } from 'node:zlib'

/**
 * Measures what a PDF's streams decode to before any PDF library sees the file, with every
 * decoder bounded by what is left of the budget: a decompression bomb is refused after inflating
 * at most the budget, never the gigabyte it would become. Only the filters pdf-lib itself decodes
 * (Flate, LZW, RunLength, ASCII85, ASCIIHex) can grow; image codecs count as stored.
 */

export class OverBudget extends Error {}

const WHITE = new Set([0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20])

/** Output that stops, with OverBudget, as soon as it would pass `limit`; grows by doubling, never past it. */
class Sink {
  #buffer = Buffer.alloc(64 * 1024)
  #size = 0
  constructor(private readonly limit: number) {}

  #room(n: number): void {
    if (this.#size + n > this.limit) throw new OverBudget()
    if (this.#size + n <= this.#buffer.length) return
    const grown = Buffer.alloc(Math.min(this.limit, Math.max(this.#buffer.length * 2, this.#size + n)))
    this.#buffer.copy(grown, 0, 0, this.#size)
    this.#buffer = grown
  }

  write(bytes: Uint8Array): void {
    this.#room(bytes.length)
    this.#buffer.set(bytes, this.#size)
    this.#size += bytes.length
  }

  fill(value: number, n: number): void {
    this.#room(n)
    this.#buffer.fill(value, this.#size, this.#size + n)
    this.#size += n
  }

  bytes(): Buffer {
    return this.#buffer.subarray(0, this.#size)
  }
}

function flate(data: Buffer, limit: number): Buffer {
  try {
    // Z_SYNC_FLUSH: a stream without its end marker decodes as far as it goes, as pdf-lib reads it.
    return inflateSync(data, { maxOutputLength: Math.max(1, limit), finishFlush: constants.Z_SYNC_FLUSH })
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new OverBudget()
    // Corrupt data: what decoded before the damage stayed under the limit; count the stored bytes.
    return data
  }
}

/** LZW as PDF writes it (codes of 9 to 12 bits, 256 clears, 257 ends), the table as prefix links. */
function lzw(data: Buffer, limit: number, earlyChange: number): Buffer {
  const out = new Sink(limit)
  const prefix = new Int32Array(4096)
  const suffix = new Uint8Array(4096)
  const size = new Uint16Array(4096)
  for (let i = 0; i < 256; i++) {
    prefix[i] = -1
    suffix[i] = i
    size[i] = 1
  }
  const scratch = new Uint8Array(4096)
  const emit = (code: number): number => {
    const n = size[code]!
    for (let i = n - 1, c = code; i >= 0; i--, c = prefix[c]!) scratch[i] = suffix[c]!
    out.write(scratch.subarray(0, n))
    return scratch[0]!
  }
  const firstOf = (code: number): number => {
    let c = code
    while (prefix[c]! !== -1) c = prefix[c]!
    return suffix[c]!
  }
  let next = 258
  let width = 9
  let previous = -1
  let bits = 0
  let buffer = 0
  const add = (p: number, first: number) => {
    if (next >= 4096) return
    prefix[next] = p
    suffix[next] = first
    size[next] = size[p]! + 1
    next++
  }
  for (const byte of data) {
    buffer = ((buffer << 8) | byte) & 0xffffff
    bits += 8
    while (bits >= width) {
      bits -= width
      const code = (buffer >> bits) & ((1 << width) - 1)
      if (code === 256) {
        next = 258
        width = 9
        previous = -1
        continue
      }
      if (code === 257) return out.bytes()
      if (previous === -1) {
        if (code > 255) return out.bytes()
        emit(code)
      } else if (code < next) {
        add(previous, emit(code))
      } else if (code === next) {
        add(previous, firstOf(previous))
        emit(code)
      } else return out.bytes() // corrupt: pdf-lib stops there too
      previous = code
      if (next + earlyChange >= 1 << width && width < 12) width++
    }
  }
  return out.bytes()
}

function runLength(data: Buffer, limit: number): Buffer {
  const out = new Sink(limit)
  for (let i = 0; i < data.length; ) {
    const n = data[i]!
    if (n === 128) break
    if (n < 128) {
      out.write(data.subarray(i + 1, i + 2 + n))
      i += n + 2
    } else {
      out.fill(data[i + 1] ?? 0, 257 - n)
      i += 2
    }
  }
  return out.bytes()
}

function asciiHex(data: Buffer): Buffer {
  const hex = data.toString('latin1').replace(/>[\s\S]*$/, '').replace(/[^0-9A-Fa-f]/g, '')
  return Buffer.from(hex.length % 2 ? `${hex}0` : hex, 'hex')
}

function ascii85(data: Buffer): Buffer {
  const text = data.toString('latin1').replace(/~>[\s\S]*$/, '').replace(/^<~/, '').replace(/\s+/g, '')
  const out: number[] = []
  let group: number[] = []
  for (const ch of text) {
    if (ch === 'z' && group.length === 0) {
      out.push(0, 0, 0, 0)
      continue
    }
    const c = ch.charCodeAt(0) - 33
    if (c < 0 || c > 84) continue
    group.push(c)
    if (group.length === 5) {
      const value = group.reduce((acc, d) => acc * 85 + d, 0)
      out.push((value >>> 24) & 255, (value >>> 16) & 255, (value >>> 8) & 255, value & 255)
      group = []
    }
  }
  if (group.length > 1) {
    const n = group.length
    while (group.length < 5) group.push(84)
    const value = group.reduce((acc, d) => acc * 85 + d, 0)
    out.push(...[(value >>> 24) & 255, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].slice(0, n - 1))
  }
  return Buffer.from(out)
}

/** The stream's filter chain, or `unknown` when it is not written out directly (an indirect reference). */
function filtersOf(dict: string): string[] | 'unknown' {
  const match = /\/Filter\s*(\/[^\s/[\]<>()]+|\[([^\]]*)\]|\d+\s+\d+\s+R)/.exec(dict)
  if (!match) return []
  const value = match[1]!
  if (value.startsWith('/')) return [value.slice(1)]
  if (match[2] === undefined || /\bR\b/.test(match[2])) return 'unknown'
  return [...match[2].matchAll(/\/([^\s/[\]<>()]+)/g)].map((m) => m[1]!)
}

function decode(data: Buffer, filters: string[] | 'unknown', dict: string, limit: number): Buffer {
  // A filter we cannot read is tried as Flate, the only common one that grows: still bounded.
  if (filters === 'unknown') return flate(data, limit)
  let bytes = data
  for (const filter of filters) {
    if (filter === 'FlateDecode') bytes = flate(bytes, limit)
    else if (filter === 'LZWDecode') bytes = lzw(bytes, limit, /\/EarlyChange\s+0\b/.test(dict) ? 0 : 1)
    else if (filter === 'RunLengthDecode') bytes = runLength(bytes, limit)
    else if (filter === 'ASCIIHexDecode') bytes = asciiHex(bytes)
    else if (filter === 'ASCII85Decode') bytes = ascii85(bytes)
    else break // an image codec (DCT, JPX, JBIG2, CCITT): never decoded here, its size is what is stored
  }
  if (bytes.length > limit) throw new OverBudget()
  return bytes
}

/** Where a stream's data ends: its direct /Length when `endstream` follows, else as pdf-lib finds it. */
function endOf(text: string, start: number, dict: string): number {
  const length = /\/Length\s+(\d+)(?!\s+\d+\s+R)/.exec(dict)
  if (length) {
    const end = start + Number(length[1])
    let i = end
    while (i < text.length && WHITE.has(text.charCodeAt(i))) i++
    if (text.startsWith('endstream', i)) return end
  }
  // pdf-lib's fallback: the matching `endstream`, counting any `stream` in between as nested.
  let depth = 1
  let i = start
  while (i < text.length) {
    const next = text.indexOf('stream', i)
    if (next === -1) return text.length
    if (text.startsWith('end', next - 3)) {
      if (--depth === 0) return next - 3
    } else depth++
    i = next + 6
  }
  return text.length
}

/**
 * The dictionary before the `stream` keyword at `at`: from its `N G obj` (or the previous stream's
 * end, whichever is later) to the `>>` just before; undefined for a stray keyword. Each range
 * starts after the last, so reading every dictionary is linear in the file.
 */
function dictBefore(text: string, at: number, floor: number, lastObj: number): string | undefined {
  let j = at - 1
  while (j >= 0 && WHITE.has(text.charCodeAt(j))) j--
  if (text[j] !== '>' || text[j - 1] !== '>') return undefined
  return text.slice(Math.max(floor, lastObj === -1 ? 0 : lastObj + 3, j - 65_536), j + 1)
}

export interface StreamBudget {
  /** Bytes every stream decodes to, stored ones included. */
  decodedBytes: number
  /** The decoded object streams, where most of a compressed PDF's objects (its pages among them) live. */
  objectStreams: string[]
}

/** Decodes every stream within `maxDecodedBytes` in total; OverBudget as soon as that is passed. */
export function measureStreams(bytes: Uint8Array, maxDecodedBytes: number): StreamBudget {
  const raw = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const text = raw.toString('latin1')
  const objectStreams: string[] = []
  let decodedBytes = 0
  let pos = 0
  let floor = 0
  let lastObj = -1
  let nextObj = text.indexOf('obj')
  for (;;) {
    const at = text.indexOf('stream', pos)
    if (at === -1) break
    pos = at + 6
    if (text.startsWith('end', at - 3)) continue
    while (nextObj !== -1 && nextObj < at) {
      lastObj = nextObj
      nextObj = text.indexOf('obj', nextObj + 3)
    }
    const dict = dictBefore(text, at, floor, lastObj)
    if (dict === undefined) continue
    let start = at + 6
    if (text[start] === '\r') start++
    if (text[start] === '\n') start++
    const end = endOf(text, start, dict)
    const decoded = decode(raw.subarray(start, end), filtersOf(dict), dict, maxDecodedBytes - decodedBytes)
    decodedBytes += decoded.length
    if (/\/Type\s*\/ObjStm\b/.test(dict)) objectStreams.push(decoded.toString('latin1'))
    pos = Math.max(pos, end)
    floor = pos
  }
  return { decodedBytes, objectStreams }
}

/** Page objects written in the file or its object streams: a cheap upper look before parsing. */
export function pageObjects(texts: string[]): number {
  let n = 0
  for (const t of texts) n += t.match(/\/Type\s*\/Page(?![A-Za-z])/g)?.length ?? 0
  return n
}
