// The package's errors: one base class and a subclass per kind of failure, as in the Python SDK
// (infogan_sdk/errors.py). Messages say what was expected and what arrived.

export class InfoGANError extends Error {
  constructor(message) {
    super(message);
    this.name = new.target.name;
  }
}

/** The model folder is missing, unreadable, or its files do not match the manifest (size, sha256). */
export class CorruptModelError extends InfoGANError {}

/** The manifest or the ONNX files describe a model this package cannot run. */
export class IncompatibleModelError extends InfoGANError {}

/** An argument or image is not what the call accepts. */
export class InvalidInputError extends InfoGANError {}

/** A short, bounded rendering of any value for an error message. */
export function shown(value) {
  let text;
  try {
    text = typeof value === "string" ? JSON.stringify(value) : ArrayBuffer.isView(value)
      ? `${value.constructor.name}(${value.length})` : JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** ` (did you mean "rotation"?)` when `word` is one or two edits from one of `known` (errors.py did_you_mean), else "". */
export function didYouMean(word, known) {
  if (typeof word !== "string") return "";
  const distance = (a, b) => {
    let row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i += 1) {
      const next = [i];
      for (let j = 1; j <= b.length; j += 1) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      row = next;
    }
    return row[b.length];
  };
  const scored = known.map((name) => [distance(word, name), name]).filter(([d, name]) => d <= Math.max(1, Math.floor(name.length / 3)));
  scored.sort((a, b) => a[0] - b[0]);
  return scored.length ? ` (did you mean ${shown(scored[0][1])}?)` : "";
}
