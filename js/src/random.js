// The package's seeded draws. A seed gives the same latents in every JavaScript runtime (Node, every browser),
// but not the same as the Python SDK's numpy.random.default_rng(seed): reproducing numpy's PCG64, SeedSequence
// and float32 ziggurat bit for bit would be a second implementation of numpy to keep in step. For the same
// images in both languages, pass explicit latents (Python's Generator.latents -> digits/continuous/noise here).
//
// Scheme: xoshiro128** (Blackman and Vigna) seeded with four outputs of splitmix32 of the seed's low and high
// 32 bits; uniform doubles from 53 random bits; integers by rejection (no modulo bias); normals by Box-Muller.

function splitmix32(state) {
  let z = (state.value = (state.value + 0x9e3779b9) >>> 0);
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

const rotl = (x, k) => ((x << k) | (x >>> (32 - k))) >>> 0;

export class Random {
  /** seed: an integer from 0 to 2^53 - 1. */
  constructor(seed) {
    const mix = { value: (seed % 0x100000000) >>> 0 };
    const high = Math.floor(seed / 0x100000000) >>> 0;
    this.s = [splitmix32(mix), splitmix32(mix) ^ high, splitmix32(mix), splitmix32(mix)].map((v) => v >>> 0);
    if (this.s.every((v) => v === 0)) this.s[0] = 1; // the one state xoshiro cannot leave
  }

  /** The next uint32. */
  next() {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] = (s[2] ^ t) >>> 0;
    s[3] = rotl(s[3], 11);
    for (let i = 0; i < 4; i += 1) s[i] >>>= 0;
    return result;
  }

  /** A double in [0, 1) from 53 random bits. */
  uniform() {
    return ((this.next() >>> 5) * 67108864 + (this.next() >>> 6)) / 9007199254740992;
  }

  /** An integer in [0, size), size <= 2^32, unbiased. */
  integer(size) {
    const reject = 0x100000000 % size; // the first (2^32 mod size) values would make low results likelier
    let value = this.next();
    while (value < reject) value = this.next();
    return value % size;
  }

  /** A standard normal double (Box-Muller, the second value of each pair kept for the next call). */
  normal() {
    if (this.spare !== undefined) {
      const value = this.spare;
      this.spare = undefined;
      return value;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - this.uniform())); // 1 - u in (0, 1]: log never sees 0
    const angle = 2 * Math.PI * this.uniform();
    this.spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }
}

/** A fresh seed for calls that give none (crypto where the runtime has it). */
export function freshSeed() {
  const words = new Uint32Array(2);
  globalThis.crypto.getRandomValues(words);
  return (words[0] & 0x1fffff) * 0x100000000 + words[1];
}
