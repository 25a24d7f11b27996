// Reads "a<TAB>b" lines; prints -1, 0 or 1 as node-semver's compare orders
// them, or E when either is not valid SemVer.
const semver = require('semver');
const lines = require('fs').readFileSync(0, 'utf8').split('\n');
const out = [];
for (const line of lines) {
  if (line === '') continue;
  const [a, b] = line.split('\t');
  try {
    out.push(String(semver.compare(a, b)));
  } catch (e) {
    out.push('E');
  }
}
process.stdout.write(out.join('\n') + '\n');
