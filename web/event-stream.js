// Server-Sent Events over fetch(): EventSource cannot send an Authorization header, and our
// streams need the dispatcher's Bearer token. This reads a text/event-stream body with a
// ReadableStream reader and hands each event ({id, data}) to a callback; the caller keeps the
// last id it applied and reconnects with the Last-Event-ID header.

/**
 * Read `response`'s event stream until it ends (resolves) or the connection fails (rejects).
 * `onEvent({id, data})` is called for each complete event (comments, like keep-alives, are
 * skipped; an event cut off by a dropped connection is never delivered); `onRetry(ms)` when
 * the server says how long to wait before reconnecting. Lines end with "\n" (a trailing
 * "\r" is dropped), as our server writes them.
 */
export async function readEventStream(response, onEvent, onRetry = () => {}) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let id = null;
  let data = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    const lines = buffer.split("\n");
    buffer = lines.pop();            // an incomplete line waits for the next chunk
    for (const raw of lines) {
      const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
      if (line === "") {             // a blank line ends an event
        if (data.length) onEvent({ id, data: data.join("\n") });
        id = null;
        data = [];
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let text = colon < 0 ? "" : line.slice(colon + 1);
      if (text.startsWith(" ")) text = text.slice(1);
      if (field === "id") id = text;
      else if (field === "data") data.push(text);
      else if (field === "retry" && /^\d+$/.test(text)) onRetry(Number(text));
    }
  }
}
