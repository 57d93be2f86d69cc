//! The layers of `docs/architecture.md`, checked from the `use` lines of `src/`: no module
//! imports a layer above its own (or a sibling layer), and no two modules import each other.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module's layer, from the top.
const LAYERS: &[(&str, u8)] = &[
    ("main", 5),
    ("cli", 5),
    ("config", 5),
    ("startup", 5),
    ("openapi", 5),
    ("api", 4),
    ("ingest", 3),
    ("queries", 3),
    ("store", 2),
    ("search_index", 2),
    ("db", 1),
    ("schema", 1),
    ("vocab", 1),
    ("text", 1),
    ("media", 1),
    ("local_pg", 1),
];

/// Sibling layers that must not import each other: the write side and the read side.
const SEPARATE: &[&str] = &["ingest", "queries"];

fn top(module: &str) -> &str {
    module.split("::").next().unwrap_or(module)
}

fn layer(module: &str) -> Option<u8> {
    let top = module.split("::").next()?;
    LAYERS.iter().find(|(m, _)| *m == top).map(|(_, l)| *l)
}

/// `a::b::{c, d::{e, f}}` → `a::b::c`, `a::b::d::e`, `a::b::d::f`.
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.split_whitespace().collect();
    let Some(open) = tree.find('{') else {
        return vec![tree.trim_end_matches("::").to_owned()];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.len() - 1];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(|p| expand(p).into_iter().map(|e| format!("{prefix}{e}")))
        .collect()
}

/// The `use` statements of a file, each on one line.
fn use_statements(source: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let mut current: Option<String> = None;
    for line in source.lines() {
        let trimmed = line.trim();
        if current.is_none() {
            let rest = trimmed
                .strip_prefix("pub(crate) ")
                .or_else(|| trimmed.strip_prefix("pub "))
                .unwrap_or(trimmed);
            if let Some(body) = rest.strip_prefix("use ") {
                current = Some(String::new());
                if let Some(c) = current.as_mut() {
                    c.push_str(body);
                }
            }
        } else if let Some(c) = current.as_mut() {
            c.push(' ');
            c.push_str(trimmed);
        }
        if current.as_ref().is_some_and(|c| c.ends_with(';')) {
            statements.push(
                current
                    .take()
                    .unwrap_or_default()
                    .trim_end_matches(';')
                    .to_owned(),
            );
        }
    }
    statements
}

/// The module a `use` path names, as one of `modules`, seen from `from`.
fn target(from: &str, path: &str, modules: &BTreeSet<String>, is_mod_rs: bool) -> Option<String> {
    let path = path.split(" as ").next().unwrap_or(path);
    let absolute = if let Some(rest) = path.strip_prefix("crate::") {
        rest.to_owned()
    } else if let Some(rest) = path.strip_prefix("dateline::") {
        rest.to_owned()
    } else if let Some(rest) = path.strip_prefix("super::") {
        // A `mod.rs` (or a file module) is a child of its parent directory's module.
        let mut base: Vec<&str> = from.split("::").collect();
        if !is_mod_rs || base.len() > 1 {
            base.pop();
        }
        let base = base.join("::");
        if base.is_empty() {
            rest.to_owned()
        } else {
            format!("{base}::{rest}")
        }
    } else if let Some(rest) = path.strip_prefix("self::") {
        format!("{from}::{rest}")
    } else {
        return None;
    };
    let segments: Vec<&str> = absolute.split("::").collect();
    (1..=segments.len())
        .rev()
        .map(|n| segments[..n].join("::"))
        .find(|candidate| modules.contains(candidate))
}

/// Every module of `src/` and the modules it imports.
fn imports(files: &BTreeMap<String, (String, bool)>) -> BTreeMap<String, BTreeSet<String>> {
    let modules: BTreeSet<String> = files.keys().cloned().collect();
    files
        .iter()
        .map(|(module, (source, is_mod_rs))| {
            let targets = use_statements(source)
                .iter()
                .flat_map(|s| expand(s))
                .filter_map(|path| target(module, &path, &modules, *is_mod_rs))
                .filter(|t| t != module)
                .collect();
            (module.clone(), targets)
        })
        .collect()
}

/// What breaks the rules, one line each.
fn violations(imports: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut found = Vec::new();
    for (module, targets) in imports {
        for target in targets {
            match (layer(module), layer(target)) {
                (Some(from), Some(to)) if to > from => {
                    found.push(format!("{module} imports {target}, a layer above it"));
                }
                _ if SEPARATE.contains(&top(module))
                    && SEPARATE.contains(&top(target))
                    && top(module) != top(target) =>
                {
                    found.push(format!("{module} imports {target}, a sibling layer"));
                }
                (None, _) | (_, None) => {
                    found.push(format!("{module} → {target}: a module without a layer"));
                }
                _ => {}
            }
            if module < target && imports.get(target).is_some_and(|t| t.contains(module)) {
                found.push(format!("{module} and {target} import each other"));
            }
        }
    }
    found
}

fn source_files() -> BTreeMap<String, (String, bool)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let relative = path.strip_prefix(&src).unwrap().with_extension("");
            let mut parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            let is_mod_rs = parts.last().is_some_and(|p| p == "mod");
            if is_mod_rs {
                parts.pop();
            }
            let module = parts.join("::");
            if module == "lib" {
                continue;
            }
            files.insert(module, (std::fs::read_to_string(&path).unwrap(), is_mod_rs));
        }
    }
    files
}

#[test]
fn no_module_imports_a_layer_above_it_and_none_import_each_other() {
    let files = source_files();
    assert!(files.len() > 40, "read the source tree");
    let imports = imports(&files);
    assert!(
        imports["api::articles"].contains("queries::article_list"),
        "the parser sees imports"
    );
    let found = violations(&imports);
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_check_catches_an_upward_import_and_a_cycle() {
    let files: BTreeMap<String, (String, bool)> = [
        ("store::a", "use crate::api::{b::X, c};\nuse super::d::Y;"),
        ("store::d", "use crate::store::a::Z;"),
        ("ingest::e", "use crate::queries::f;"),
        ("queries::f", ""),
        ("api::b", ""),
        ("api::c", ""),
    ]
    .into_iter()
    .map(|(m, s)| (m.to_owned(), (s.to_owned(), false)))
    .collect();
    let found = violations(&imports(&files));
    assert!(found.contains(&"store::a imports api::b, a layer above it".to_owned()));
    assert!(found.contains(&"store::a imports api::c, a layer above it".to_owned()));
    assert!(found.contains(&"store::a and store::d import each other".to_owned()));
    assert!(found.contains(&"ingest::e imports queries::f, a sibling layer".to_owned()));
}
