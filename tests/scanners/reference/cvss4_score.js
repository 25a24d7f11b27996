// Reads one CVSS v4.0 vector a line; prints "<score>\t<severity>" as
// {metæffekt}'s ae-cvss-calculator (an implementation of FIRST's v4.0
// scoring) computes them, or E when it rejects the vector.
const { Cvss4P0 } = require('ae-cvss-calculator');
const lines = require('fs').readFileSync(0, 'utf8').split('\n');
const out = [];
for (const line of lines) {
  if (line === '') continue;
  try {
    const cvss = new Cvss4P0(line);
    if (!cvss.isBaseFullyDefined()) throw new Error('incomplete');
    const json = cvss.createJsonSchema();
    out.push(json.baseScore.toFixed(1) + '\t' + json.baseSeverity);
  } catch (e) {
    out.push('E');
  }
}
process.stdout.write(out.join('\n') + '\n');
