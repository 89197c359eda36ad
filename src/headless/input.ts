// What the runner writes to claude's stdin (`--input-format stream-json`), one JSON object a line:
// a user message starts a turn in the same conversation; an interrupt control request stops the
// running turn (claude answers with a control_response and ends the turn with an
// error_during_execution result) and leaves the process ready for the next message.

/** One user message: a new turn with this prompt, taken byte for byte. */
export function userMessage(prompt: string): string {
  return `${JSON.stringify({ type: 'user', message: { role: 'user', content: prompt } })}\n`;
}

/** A request to interrupt the running turn. */
export function interruptRequest(requestId: string): string {
  return `${JSON.stringify({ type: 'control_request', request_id: requestId, request: { subtype: 'interrupt' } })}\n`;
}
