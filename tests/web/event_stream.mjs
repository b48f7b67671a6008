// web/event-stream.js on its own (Node, no browser): events split across chunks anywhere, even
// inside a UTF-8 character, CRLF line ends, comments (keep-alives), retry, several data lines,
// and an event cut off by the end of the stream, which must not be delivered.
// Usage: node tests/web/event_stream.mjs
import { readEventStream } from "../../web/event-stream.js";

function check(condition, message) {       // lib.mjs's, without playwright-core: Node alone
  if (!condition) throw new Error(`FAIL: ${message}`);
  console.log(`ok: ${message}`);
}

const text = "retry: 1500\n\n: keep-alive\n\nid: 1\ndata: {\"seq\":1,\"kind\":\"plan_sent\"}\n\n"
  + "id: 2\r\ndata: {\"seq\":2,\r\ndata: \"note\":\"心脏骤停\"}\r\n\r\n"
  + "id:3\ndata:{\"seq\":3}\n\nid: 4\ndata: {\"seq\":4";
const bytes = new TextEncoder().encode(text);

async function read(chunkSize) {
  let at = 0;
  const body = new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) { controller.close(); return; }
      controller.enqueue(bytes.slice(at, at + chunkSize));
      at += chunkSize;
    },
  });
  const events = [];
  let retry = null;
  await readEventStream(new Response(body), (e) => events.push(e), (ms) => { retry = ms; });
  return { events, retry };
}

for (const size of [1, 2, 3, 7, bytes.length]) {
  const { events, retry } = await read(size);
  check(JSON.stringify(events.map((e) => e.id)) === JSON.stringify(["1", "2", "3"]),
    `chunks of ${size} bytes: events 1, 2, 3, and not the cut-off 4`);
  check(JSON.parse(events[1].data).note === "心脏骤停", `chunks of ${size} bytes: two data lines join, UTF-8 intact`);
  check(retry === 1500, `chunks of ${size} bytes: retry read`);
}
