// Same-origin HTTP helpers: binary windows, JSON reads, and JSON writes carrying
// Django's CSRF token (the session cookie authenticates, so writes need the token).

import { decodeWindow } from "./decode.js";

export class HttpError extends Error {
  constructor(status, detail) {
    super(detail ? `HTTP ${status}: ${detail}` : `HTTP ${status}`);
    this.status = status;
  }
}

async function failure(response) {
  let detail = "";
  try {
    detail = (await response.json()).detail || "";
  } catch {
    // Not JSON: the status alone says enough.
  }
  return new HttpError(response.status, detail);
}

function query(params) {
  const parts = [];
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null) parts.push(`${key}=${encodeURIComponent(value)}`);
  }
  return parts.join("&");
}

/** GET /records/{id}/window in binary form, decoded. */
export async function fetchWindow(apiBase, recordId, params, signal) {
  const url = `${apiBase}/records/${recordId}/window?${query({ ...params, format: "binary" })}`;
  const response = await fetch(url, { signal, credentials: "same-origin" });
  if (!response.ok) throw await failure(response);
  return decodeWindow(await response.arrayBuffer());
}

export async function getJson(url, signal) {
  const response = await fetch(url, { signal, credentials: "same-origin" });
  if (!response.ok) throw await failure(response);
  return response.json();
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

/** A write (PATCH, DELETE, ...) with a JSON body or none, answered with JSON. */
export async function sendJson(method, url, body) {
  const response = await fetch(url, {
    method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw await failure(response);
  return response.json();
}

export function isAbort(error) {
  return error && error.name === "AbortError";
}

export { query };
