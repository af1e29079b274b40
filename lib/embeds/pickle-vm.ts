// A data-only pickle interpreter: the opcodes torch.save emits (protocols 2-5), globals resolved through an
// allow-list supplied by the caller. Nothing from the stream is ever imported, evaluated or executed.
import { EmbedFormatError } from '../errors.js';

/** A callable that an allow-listed GLOBAL resolved to; REDUCE/NEWOBJ may only call these. */
export class PyCallable {
  constructor(
    readonly qualname: string,
    readonly call: (args: unknown[]) => unknown,
  ) {}
}

/** How the caller resolves the two extension points of the pickle format. */
export interface PickleHooks {
  /** Return the value for GLOBAL module.name (a PyCallable or plain data); throw EmbedFormatError to refuse. */
  findGlobal(module: string, name: string): unknown;
  /** Return the object a persistent id refers to (torch: a storage). */
  persistentLoad(pid: unknown): unknown;
}

const MAX_STACK = 1_000_000;
const MAX_LONG_BYTES = 4096;

function fail(message: string, pos: number): never {
  throw new EmbedFormatError(`Invalid pickle stream at byte ${pos}: ${message}`);
}

/** Python dicts become null-prototype objects so keys such as `__proto__` stay plain data. */
function newDict(): Record<string, unknown> {
  return Object.create(null) as Record<string, unknown>;
}

function isDict(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === null;
}

function dictKey(k: unknown, pos: number): string {
  if (typeof k === 'string') return k;
  if (typeof k === 'number' || typeof k === 'bigint' || typeof k === 'boolean') return String(k);
  if (k === null) return 'None';
  return fail(`unsupported dict key type ${typeof k}`, pos);
}

function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  if (bytes[bytes.length - 1] & 0x80) v -= 1n << BigInt(bytes.length * 8);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

type Handler = (u: Unpickler) => void;

/** One run over one pickle stream. */
class Unpickler {
  pos = 0;
  readonly stack: unknown[] = [];
  readonly marks: number[] = [];
  readonly memo: unknown[] = [];
  memoCount = 0;
  readonly view: DataView;
  /** The same bytes as a Buffer (no copy), so strings decode without a wrapper allocation each. */
  readonly buf: Buffer;
  done = false;

  constructor(
    readonly bytes: Uint8Array,
    readonly hooks: PickleHooks,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  need(n: number): number {
    const at = this.pos;
    if (n < 0 || at + n > this.bytes.length) fail(`needs ${n} more bytes, stream ends (truncated?)`, at);
    this.pos += n;
    return at;
  }
  u8(): number {
    return this.bytes[this.need(1)];
  }
  u16(): number {
    return this.view.getUint16(this.need(2), true);
  }
  u32(): number {
    return this.view.getUint32(this.need(4), true);
  }
  u64(): number {
    const v = this.view.getBigUint64(this.need(8), true);
    if (v > BigInt(this.bytes.length)) fail('length exceeds the stream', this.pos);
    return Number(v);
  }
  raw(n: number): Uint8Array {
    const at = this.need(n);
    return this.bytes.subarray(at, at + n);
  }
  text(n: number, encoding: BufferEncoding = 'utf8'): string {
    const at = this.need(n);
    return this.buf.toString(encoding, at, at + n);
  }
  line(): string {
    const nl = this.bytes.indexOf(0x0a, this.pos);
    if (nl < 0) fail('unterminated GLOBAL line', this.pos);
    const s = this.buf.toString('utf8', this.pos, nl);
    this.pos = nl + 1;
    return s;
  }
  push(v: unknown): void {
    if (this.stack.length >= MAX_STACK) fail('stack too deep', this.pos);
    this.stack.push(v);
  }
  pop(): unknown {
    if (this.stack.length === 0 || this.stack.length <= (this.marks.at(-1) ?? -1)) fail('stack underflow', this.pos);
    return this.stack.pop();
  }
  top(): unknown {
    if (this.stack.length === 0) fail('stack underflow', this.pos);
    return this.stack[this.stack.length - 1];
  }
  popMark(): unknown[] {
    const m = this.marks.pop();
    if (m === undefined) fail('MARK expected', this.pos);
    return this.stack.splice(m);
  }
  memoPut(i: number): void {
    if (i >= this.bytes.length) fail(`memo key ${i} exceeds the stream`, this.pos); // bounds the array's growth
    if (!(i in this.memo)) this.memoCount++;
    this.memo[i] = this.top();
  }
  memoGet(i: number): void {
    if (!(i in this.memo)) fail(`memo key ${i} missing`, this.pos);
    this.push(this.memo[i]);
  }
  call(fn: unknown, args: unknown): void {
    if (!(fn instanceof PyCallable)) fail('REDUCE/NEWOBJ target is not an allowed callable', this.pos);
    if (!Array.isArray(args)) fail(`arguments of ${fn.qualname} are not a tuple`, this.pos);
    this.push(fn.call(args));
  }
  setItems(items: unknown[]): void {
    const d = this.top();
    if (!isDict(d)) fail('SETITEM(S) target is not a dict', this.pos);
    if (items.length % 2) fail('odd number of SETITEMS values', this.pos);
    for (let i = 0; i < items.length; i += 2) d[dictKey(items[i], this.pos)] = items[i + 1];
  }
  append(items: unknown[]): void {
    const l = this.top();
    if (!Array.isArray(l) || Object.isFrozen(l)) fail('APPEND(S) target is not a list', this.pos);
    for (const v of items) l.push(v);
  }
  global(module: string, name: string): void {
    this.push(this.hooks.findGlobal(module, name));
  }
}

function tuple(items: unknown[]): unknown[] {
  return Object.freeze(items) as unknown[];
}

const OP_LIST: [number, Handler][] = [
  [
    0x80,
    (u) => {
      const p = u.u8();
      if (p > 5) fail(`unsupported pickle protocol ${p}`, u.pos);
    },
  ], // PROTO
  [
    0x95,
    (u) => {
      u.need(8);
    },
  ], // FRAME: framing is only a hint for buffered readers
  [
    0x2e,
    (u) => {
      u.done = true;
    },
  ], // STOP
  [
    0x28,
    (u) => {
      u.marks.push(u.stack.length);
    },
  ], // MARK
  [0x29, (u) => u.push(tuple([]))], // EMPTY_TUPLE
  [0x5d, (u) => u.push([])], // EMPTY_LIST
  [0x7d, (u) => u.push(newDict())], // EMPTY_DICT
  [0x74, (u) => u.push(tuple(u.popMark()))], // TUPLE
  [0x85, (u) => u.push(tuple([u.pop()]))], // TUPLE1
  [
    0x86,
    (u) => {
      const b = u.pop();
      u.push(tuple([u.pop(), b]));
    },
  ], // TUPLE2
  [
    0x87,
    (u) => {
      const c = u.pop();
      const b = u.pop();
      u.push(tuple([u.pop(), b, c]));
    },
  ], // TUPLE3
  [0x6c, (u) => u.push(u.popMark())], // LIST
  [
    0x64,
    (u) => {
      const items = u.popMark();
      u.push(newDict());
      u.setItems(items);
    },
  ], // DICT
  [0x4e, (u) => u.push(null)], // NONE
  [0x88, (u) => u.push(true)], // NEWTRUE
  [0x89, (u) => u.push(false)], // NEWFALSE
  [0x4a, (u) => u.push(u.view.getInt32(u.need(4), true))], // BININT
  [0x4b, (u) => u.push(u.u8())], // BININT1
  [0x4d, (u) => u.push(u.u16())], // BININT2
  [0x8a, (u) => u.push(decodeLong(u.raw(u.u8())))], // LONG1
  [
    0x8b,
    (u) => {
      const n = u.u32();
      if (n > MAX_LONG_BYTES) fail('LONG4 too large', u.pos);
      u.push(decodeLong(u.raw(n)));
    },
  ], // LONG4
  [0x47, (u) => u.push(u.view.getFloat64(u.need(8), false))], // BINFLOAT (big-endian)
  [0x58, (u) => u.push(u.text(u.u32()))], // BINUNICODE
  [0x8c, (u) => u.push(u.text(u.u8()))], // SHORT_BINUNICODE
  [0x8d, (u) => u.push(u.text(u.u64()))], // BINUNICODE8
  [0x54, (u) => u.push(u.text(u.u32(), 'latin1'))], // BINSTRING (py2 str)
  [0x55, (u) => u.push(u.text(u.u8(), 'latin1'))], // SHORT_BINSTRING
  [0x42, (u) => u.push(u.raw(u.u32()))], // BINBYTES
  [0x43, (u) => u.push(u.raw(u.u8()))], // SHORT_BINBYTES
  [0x8e, (u) => u.push(u.raw(u.u64()))], // BINBYTES8
  [0x71, (u) => u.memoPut(u.u8())], // BINPUT
  [0x72, (u) => u.memoPut(u.u32())], // LONG_BINPUT
  [0x94, (u) => u.memoPut(u.memoCount)], // MEMOIZE
  [0x68, (u) => u.memoGet(u.u8())], // BINGET
  [0x6a, (u) => u.memoGet(u.u32())], // LONG_BINGET
  [
    0x63,
    (u) => {
      const m = u.line();
      u.global(m, u.line());
    },
  ], // GLOBAL
  [
    0x93,
    (u) => {
      const n = u.pop();
      const m = u.pop();
      if (typeof m !== 'string' || typeof n !== 'string') fail('STACK_GLOBAL needs strings', u.pos);
      u.global(m, n);
    },
  ],
  [0x51, (u) => u.push(u.hooks.persistentLoad(u.pop()))], // BINPERSID
  [
    0x52,
    (u) => {
      const args = u.pop();
      u.call(u.pop(), args);
    },
  ], // REDUCE
  [
    0x81,
    (u) => {
      const args = u.pop();
      u.call(u.pop(), args);
    },
  ], // NEWOBJ
  [0x62, (u) => fail('BUILD (object state) is not supported in embedding files', u.pos)],
  [
    0x73,
    (u) => {
      const v = u.pop();
      const k = u.pop();
      u.setItems([k, v]);
    },
  ], // SETITEM
  [0x75, (u) => u.setItems(u.popMark())], // SETITEMS
  [0x61, (u) => u.append([u.pop()])], // APPEND
  [0x65, (u) => u.append(u.popMark())], // APPENDS
  [
    0x30,
    (u) => {
      u.pop();
    },
  ], // POP
  [
    0x31,
    (u) => {
      u.popMark();
    },
  ], // POP_MARK
  [0x32, (u) => u.push(u.top())], // DUP
];

/** Opcode → handler as a dense array: dispatch is one indexed load per opcode, no hashing, no allocation. */
const OPS: (Handler | undefined)[] = Array.from({ length: 256 }, () => undefined);
for (const [op, handler] of OP_LIST) OPS[op] = handler;

/** Run a pickle stream to STOP and return the single value left on the stack. */
export function unpickle(bytes: Uint8Array, hooks: PickleHooks): unknown {
  const u = new Unpickler(bytes, hooks);
  while (!u.done) {
    const at = u.pos;
    const op = u.u8();
    const handler = OPS[op];
    if (!handler) fail(`unsupported opcode 0x${op.toString(16).padStart(2, '0')}`, at);
    handler(u);
  }
  if (u.stack.length !== 1 || u.marks.length) fail(`STOP with ${u.stack.length} values on the stack`, u.pos);
  return u.stack[0];
}
