// Every function of src/ with the length of its body, read with the TypeScript compiler's own
// parser (its API, through the typescript devDependency), so strings, templates, regular
// expressions and comments cannot fool the count.
import { API } from 'typescript/unstable/sync';
import { SyntaxKind, type Node } from 'typescript/unstable/ast';
import { join, relative } from 'node:path';

/** A function, method, accessor or arrow: where its body starts (file:line), its name, and how many lines the body spans. */
export interface FunctionLength {
  at: string;
  name: string;
  lines: number;
}

const FUNCTIONS = new Set([
  SyntaxKind.FunctionDeclaration,
  SyntaxKind.FunctionExpression,
  SyntaxKind.ArrowFunction,
  SyntaxKind.MethodDeclaration,
  SyntaxKind.Constructor,
  SyntaxKind.GetAccessor,
  SyntaxKind.SetAccessor,
]);

/** The functions of root/src/ (the project of root/tsconfig.json) whose bodies span more than `over` lines. */
export function longFunctions(root: string, over: number): FunctionLength[] {
  const api = new API({ cwd: root });
  try {
    const project = api.updateSnapshot({ openProject: join(root, 'tsconfig.json') }).getProjects()[0];
    if (!project) throw new Error(`no TypeScript project in ${root}`);
    const src = join(root, 'src/');
    const found: FunctionLength[] = [];
    for (const file of project.program.getSourceFileNames().filter((f) => f.startsWith(src))) {
      const sf = project.program.getSourceFile(file)!;
      const lineOf = (pos: number): number => sf.getLineAndCharacterOfPosition(pos).line;
      const visit = (node: Node): void => {
        const body = FUNCTIONS.has(node.kind) ? (node as Node & { body?: Node }).body : undefined;
        if (body) {
          const first = lineOf(body.getStart(sf));
          const lines = lineOf(body.end) - first + 1;
          if (lines > over) found.push({ at: `${relative(root, file)}:${first + 1}`, name: nameOf(node), lines });
        }
        node.forEachChild(visit);
      };
      sf.forEachChild(visit);
    }
    return found;
  } finally {
    api.close();
  }
}

/** A function's name, or the name it is assigned to. */
function nameOf(node: Node): string {
  const named = (n: Node | undefined): string | undefined => {
    const name = (n as (Node & { name?: Node & { text?: string } }) | undefined)?.name;
    return typeof name?.text === 'string' ? name.text : undefined;
  };
  return (
    named(node) ??
    (node.parent?.kind === SyntaxKind.VariableDeclaration || node.parent?.kind === SyntaxKind.PropertyAssignment
      ? named(node.parent)
      : undefined) ??
    '(anonymous)'
  );
}
