// The AsyncAPI initiative's own parser over documents given as a JSON array on stdin. Prints, for each document,
// its diagnostics: [[{severity: "error"|"warning"|"info"|"hint", code, message, path}, ...], ...].
import { Parser } from "@asyncapi/parser";

const SEVERITY = ["error", "warning", "info", "hint"];
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const parser = new Parser();
const results = [];
for (const document of JSON.parse(Buffer.concat(chunks).toString("utf8"))) {
  const diagnostics = await parser.validate(JSON.stringify(document));
  results.push(diagnostics.map((d) => ({
    severity: SEVERITY[d.severity] ?? String(d.severity),
    code: String(d.code),
    message: d.message,
    path: d.path.join("/"),
  })));
}
process.stdout.write(JSON.stringify(results));
