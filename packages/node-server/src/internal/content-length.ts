/** A `Content-Length` value Countersign accepts: 1 to 15 decimal digits, nothing else. */
export const CONTENT_LENGTH = /^\d{1,15}$/
