// The page's strings in its language. The server puts the catalogue in the page
// ({% js_catalogue %}, a JSON script), so nothing is fetched and a page works offline.
// Strings are marked with gettext()/ngettext() so that `scripts/messages.sh` finds them.

let data = null;

function catalogue() {
  if (data === null) {
    const el = document.getElementById("wavetag-catalogue");
    try {
      data = el ? JSON.parse(el.textContent) : {};
    } catch {
      data = {};
    }
    data.catalog = data.catalog || {};
    data.nplurals = data.nplurals || 2;
  }
  return data;
}

export function gettext(msgid) {
  const value = catalogue().catalog[msgid];
  if (value === undefined || value === "") return msgid;
  return Array.isArray(value) ? value[0] : value;
}

export function ngettext(singular, plural, n) {
  const c = catalogue();
  const value = c.catalog[singular];
  const index = c.nplurals === 1 ? 0 : n === 1 ? 0 : 1;
  if (Array.isArray(value) && value[index]) return value[index];
  return n === 1 ? singular : plural;
}

// interpolate("%(n)s beats", {n: 3}): named placeholders, as in the Python catalogue.
export function interpolate(format, values) {
  return format.replace(/%\((\w+)\)s/g, (match, name) =>
    Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : match,
  );
}

export function language() {
  return catalogue().language || document.documentElement.lang || "en";
}

// The user's time zone (their saved one, else the site's): for dates the scripts print.
export function timeZone() {
  const meta = document.querySelector('meta[name="wavetag-time-zone"]');
  return (meta && meta.content) || "UTC";
}

// "2026-03-02 07:30" in the user's time zone, as the server's templates print dates.
export function formatDateTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone: timeZone(), year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    }).formatToParts(d).map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

// Marks a string for the catalogue where it is written (a table built at import) without
// looking it up; the code that shows it calls gettext() then, in the page's language.
export function gettext_noop(msgid) {
  return msgid;
}

// interpolate() for a sentence with elements in it: ["Caliper 1 on ", <span>II</span>, ": …"],
// to append to an element. A name that is data goes in as an element marked translate="no".
export function interpolateParts(format, values) {
  return format
    .split(/(%\(\w+\)s)/)
    .map((piece) => {
      const m = /^%\((\w+)\)s$/.exec(piece);
      if (!m || !Object.prototype.hasOwnProperty.call(values, m[1])) return piece;
      const v = values[m[1]];
      return v instanceof Node ? v : String(v);
    })
    .filter((piece) => piece !== "");
}

/** <span translate="no">name</span>: a record, channel, set or user name in a sentence. */
export function dataSpan(text) {
  const span = document.createElement("span");
  span.setAttribute("translate", "no");
  span.textContent = text;
  return span;
}
