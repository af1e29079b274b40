// Finds where JSON text first goes wrong, for syntax errors whose V8 message carries no position.

const WS = new Set([' ', '\t', '\n', '\r']);
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);

/** End offset of the string starting at `i` (a `"`), or -(offset of the fault) - 1. */
function stringEnd(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 0x22) return j + 1;
    if (c < 0x20) return -j - 1;
    if (c !== 0x5c) continue;
    const e = s[j + 1];
    if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(s.slice(j + 2, j + 6))) j += 5;
    else if (e !== undefined && ESCAPES.has(e)) j += 1;
    else return -j - 1;
  }
  return -s.length - 1;
}

/** End offset of the scalar (string, number, literal) at `i`, or -(offset of the fault) - 1. */
function scalarEnd(s: string, i: number): number {
  if (s[i] === '"') return stringEnd(s, i);
  for (const lit of ['true', 'false', 'null']) if (s.startsWith(lit, i)) return i + lit.length;
  NUMBER.lastIndex = i;
  return NUMBER.test(s) ? NUMBER.lastIndex : -i - 1;
}

type State = 'value' | 'valueOrClose' | 'after' | 'key' | 'keyOrClose';

/** Offset of the first JSON syntax error in `s` (iterative, so deep nesting is fine); s.length if none is found. */
export function jsonErrorOffset(s: string): number {
  const stack: string[] = [];
  let st: State = 'value';
  let i = 0;
  for (;;) {
    while (i < s.length && WS.has(s[i])) i++;
    if (i >= s.length) return s.length;
    const c = s[i];
    const top = stack[stack.length - 1];
    if (st === 'after') {
      if (top === undefined) return i;
      if (c === ',') st = top === '[' ? 'value' : 'key';
      else if ((c === ']' && top === '[') || (c === '}' && top === '{')) stack.pop();
      else return i;
      i++;
    } else if (st === 'key' || st === 'keyOrClose') {
      if (st === 'keyOrClose' && c === '}') {
        stack.pop();
        i++;
        st = 'after';
        continue;
      }
      if (c !== '"') return i;
      const end = stringEnd(s, i);
      if (end < 0) return -end - 1;
      i = end;
      while (i < s.length && WS.has(s[i])) i++;
      if (s[i] !== ':') return i;
      i++;
      st = 'value';
    } else if (st === 'valueOrClose' && c === ']') {
      stack.pop();
      i++;
      st = 'after';
    } else if (c === '[' || c === '{') {
      stack.push(c);
      i++;
      st = c === '[' ? 'valueOrClose' : 'keyOrClose';
    } else {
      const end = scalarEnd(s, i);
      if (end < 0) return -end - 1;
      i = end;
      st = 'after';
    }
  }
}
