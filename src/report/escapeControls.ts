/**
 * Remote output is untrusted text: a host (or anyone who can write a file it
 * prints) can send terminal escape sequences that move the cursor, rewrite or
 * hide earlier lines, set the window title, or on some terminals answer back
 * into the operator's input. The human views show such bytes as visible
 * escapes instead; JSON Lines keep them exact (a consumer decodes them).
 */

// C0 controls except \t and \n, DEL, and C1 controls (U+0080–U+009F, which some
// terminals take as CSI/OSC on their own). \r is kept only before \n (CRLF
// output), since a lone \r lets a later text overwrite the start of its line.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const controls = /[\u0000-\u0008\u000b-\u000c\u000e-\u001f\u007f-\u009f]|\r(?!\n)/g;

/**
 * Replaces terminal control characters (other than newline, tab and CRLF's
 * carriage return) with a visible `\xHH`, so remote output shown to a person
 * cannot drive their terminal. `ESC[31m` becomes `\x1b[31m`.
 */
export function escapeControls(text: string): string {
  return text.replace(controls, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
