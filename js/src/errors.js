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
