"""JavaScript/TypeScript specifier scanning on tricky sources, tsconfig and file resolution."""

from __future__ import annotations

import pytest

from analyzers.imports_js import (
    MAX_PARSE_BYTES,
    TsConfig,
    file_leaves,
    import_leaves,
    nearest_tsconfig,
    parse_js_imports,
    parse_tsconfig,
    resolve_js,
)


def specs(source: str) -> list[str]:
    return parse_js_imports(source.encode())


def test_every_import_form() -> None:
    source = """
import a from "default";
import {b, c as d} from 'named';
import * as ns from "namespace"
import "side-effect";
import type { T } from "./types";
import e, { f } from "mixed";
export { x } from "./re-export";
export * from "../star";
export * as grouped from "./grouped";
const g = require("cjs");
const h = import("./dynamic");
const i = import(`./template`);
import j = require("./ts-require");
const k = await import("./awaited", { with: { type: "json" } });
"""
    assert specs(source) == [
        "default", "named", "namespace", "side-effect", "./types", "mixed", "./re-export",
        "../star", "./grouped", "cjs", "./dynamic", "./template", "./ts-require", "./awaited",
    ]


@pytest.mark.parametrize("source", [
    '// import "line-comment"',
    '/* require("block-comment")\nimport x from "y" */',
    "const s = \"import x from 'in-string'\";",
    "const s = 'require(\"in-string\")';",
    'const t = `import x from "in-template"`;',
    'const r = /import "in-regex"/g;',
    'const r = x.replace(/["\']require("no")/, "");',
    'obj.require("method");',
    'obj.import("method");',
    'require("a" + b);',
    "require(`./${name}`);",
    "import(`./${name}.js`);",
    'const from = "not-a-spec";',
    "x = a.from('not-a-spec');",
    'import.meta.url; const u = "x";',
])
def test_not_an_import(source: str) -> None:
    assert specs(source) == []


@pytest.mark.parametrize(("source", "expected"), [
    ('const t = `a ${require("inside-template")} b`;', ["inside-template"]),
    ('const t = `${ {a: 1}.a }`; import "after-nested-braces";', ["after-nested-braces"]),
    ('const d = a / 2 / b; import "after-division";', ["after-division"]),
    ('const r = a.split(/[/"\']/); import "after-class";', ["after-class"]),
    ("<p>it's here</p>;\nimport \"after-jsx-text\";", ["after-jsx-text"]),
    ('const s = "esc\\"aped"; import "after-escape";', ["after-escape"]),
    ('/* unterminated comment import "no"', []),
    ('if (x) /re"/.test(y); require("lost: a regex after ) reads as division")\n'
     'require("the next line is read again")', ["the next line is read again"]),
    ('return /"/; require("after-return-regex")', ["after-return-regex"]),
    ('import x from "./a\\u0062";', ["./a\\u0062".replace("\\", "")]),
])
def test_tricky_sources(source: str, expected: list[str]) -> None:
    assert specs(source) == expected


def test_binary_huge_and_non_utf8() -> None:
    assert parse_js_imports(b'import "a";\0') == []
    assert parse_js_imports(b'import "a";' + b" " * MAX_PARSE_BYTES) == []
    assert parse_js_imports(b'// \xff\xfe\nimport "a";') == ["a"]
    assert parse_js_imports(b"const x = 1;") == []


def test_tsconfig_with_comments_and_trailing_commas() -> None:
    content = b"""{
      // comment with "quotes"
      "compilerOptions": {
        "baseUrl": "./src", /* block */
        "paths": {"@app/*": ["app/*", "fallback/*"], "config": ["conf/index.ts"],},
      },
    }"""
    config = parse_tsconfig("web/tsconfig.json", content)
    assert config == TsConfig("web", "web/src", (("@app/*", ("app/*", "fallback/*")),
                                                 ("config", ("conf/index.ts",))))
    assert parse_tsconfig("tsconfig.json", b"{not json") is None
    assert parse_tsconfig("tsconfig.json", b'{"files": []}') is None


FILES = {
    "src/a.ts", "src/b.tsx", "src/c.js", "src/lib/index.ts", "src/util.mjs", "src/esm.ts",
    "src/types.d.ts", "src/data.json", "web/src/app/main.ts", "web/src/fallback/only.ts",
    "web/src/conf/index.ts", "web/src/plain.ts", "root.cjs",
}
WEB = TsConfig("web", "web/src", (("@app/*", ("app/*", "fallback/*")),
                                  ("config", ("conf/index.ts",))))


@pytest.mark.parametrize(("spec", "importer", "config", "expected"), [
    ("./a", "src/x.ts", None, ["src/a.ts"]),
    ("./b", "src/x.ts", None, ["src/b.tsx"]),
    ("./c.js", "src/x.ts", None, ["src/c.js"]),
    ("./esm.js", "src/x.ts", None, ["src/esm.ts"]),
    ("./util", "src/x.ts", None, ["src/util.mjs"]),
    ("./lib", "src/x.ts", None, ["src/lib/index.ts"]),
    ("./lib/", "src/x.ts", None, ["src/lib/index.ts"]),
    (".", "src/lib/other.ts", None, ["src/lib/index.ts"]),
    ("..", "src/lib/other.ts", None, []),
    ("./types", "src/x.ts", None, ["src/types.d.ts"]),
    ("./data.json", "src/x.ts", None, []),
    ("../root", "src/x.ts", None, ["root.cjs"]),
    ("../../outside", "src/x.ts", None, []),
    ("/abs/path", "src/x.ts", None, []),
    ("react", "src/x.ts", None, []),
    ("@app/main", "web/src/x.ts", WEB, ["web/src/app/main.ts"]),
    ("@app/only", "web/src/x.ts", WEB, ["web/src/fallback/only.ts"]),
    ("config", "web/src/x.ts", WEB, ["web/src/conf/index.ts"]),
    ("plain", "web/src/x.ts", WEB, ["web/src/plain.ts"]),
    ("react", "web/src/x.ts", WEB, []),
])
def test_resolution(spec: str, importer: str, config: TsConfig | None,
                    expected: list[str]) -> None:
    assert resolve_js(spec, importer, FILES, config) == expected


def test_paths_without_base_url_are_relative_to_the_config() -> None:
    config = TsConfig("web", None, (("~/*", ("src/*",)),))
    assert resolve_js("~/plain", "web/src/x.ts", FILES, config) == ["web/src/plain.ts"]
    assert resolve_js("plain", "web/src/x.ts", FILES, config) == []


def test_nearest_tsconfig() -> None:
    configs = {"web": WEB, "": TsConfig("", "", ())}
    assert nearest_tsconfig("web/src/x.ts", configs) is WEB
    assert nearest_tsconfig("api/x.ts", configs) == configs[""]
    assert nearest_tsconfig("api/x.ts", {"web": WEB}) is None


def test_leaves_of_imports_and_files_meet() -> None:
    assert import_leaves("./lib/", "src/x.ts", None) == {"lib"}
    assert import_leaves("./esm.js", "src/x.ts", None) == {"esm.js", "esm"}
    assert import_leaves("config", "web/src/x.ts", WEB) == {"index.ts", "index", "config"}
    assert file_leaves("src/lib/index.ts") == {"index", "lib"}
    assert file_leaves("src/types.d.ts") == {"types"}
