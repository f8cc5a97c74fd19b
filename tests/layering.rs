//! The layering rules of ARCHITECTURE.md, checked on the source: services know no HTTP and no
//! app assembly, and no two services depend on each other in a circle (a domain that needs facts
//! from one that depends on it asks through `domain::ports`).
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn services() -> BTreeMap<String, String> {
    files("service.rs")
}

/// Each domain's `src/<domain>/<name>` file, by domain.
fn files(name: &str) -> BTreeMap<String, String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let dir = entry.unwrap().path();
        let file = dir.join(name);
        if file.is_file() {
            let name = dir.file_name().unwrap().to_string_lossy().to_string();
            out.insert(name, std::fs::read_to_string(file).unwrap());
        }
    }
    out
}

/// `a` uses `b`'s service: by path (`crate::b::service`, `b::service::`) or `service as` alias.
fn uses_service(text: &str, b: &str) -> bool {
    text.contains(&format!("crate::{b}::service"))
        || text.contains(&format!(" {b}::service::"))
        || text.contains(&format!("({b}::service::"))
        || text.contains(&format!("crate::{{{b}")) && text.contains(&format!("{b}::service"))
}

#[test]
fn services_import_neither_http_nor_the_app() {
    for (name, text) in services() {
        assert!(
            !text.contains("crate::http"),
            "{name}/service.rs imports http"
        );
        assert!(
            !text.contains("crate::app"),
            "{name}/service.rs imports app"
        );
        assert!(!text.contains("axum"), "{name}/service.rs uses axum");
    }
}

#[test]
fn no_two_services_depend_on_each_other_in_a_circle() {
    let all = services();
    let names: Vec<String> = all.keys().cloned().collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (a, text) in &all {
        for b in &names {
            if a != b && uses_service(text, b) {
                edges.entry(a.clone()).or_default().insert(b.clone());
            }
        }
    }
    assert_acyclic(&names, &edges);
    // The graph is not empty: the check would notice a circle.
    assert!(edges.get("rentals").is_some_and(|e| e.contains("catalog")));
}

#[test]
fn no_two_models_import_each_other_in_a_circle() {
    let all = files("model.rs");
    let names: Vec<String> = all.keys().cloned().collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (a, text) in &all {
        for b in &names {
            if a != b && text.contains(&format!("crate::{b}::")) {
                edges.entry(a.clone()).or_default().insert(b.clone());
            }
        }
    }
    assert_acyclic(&names, &edges);
    assert!(edges.get("rentals").is_some_and(|e| e.contains("catalog")));
}

fn assert_acyclic(names: &[String], edges: &BTreeMap<String, BTreeSet<String>>) {
    // Depth-first search for a back edge.
    fn visit(
        n: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if let Some(at) = path.iter().position(|p| p == n) {
            panic!("import circle: {} -> {n}", path[at..].join(" -> "));
        }
        if done.contains(n) {
            return;
        }
        path.push(n.to_string());
        for m in edges.get(n).into_iter().flatten() {
            visit(m, edges, path, done);
        }
        path.pop();
        done.insert(n.to_string());
    }
    let mut done = BTreeSet::new();
    for n in names {
        visit(n, edges, &mut Vec::new(), &mut done);
    }
}

/// The JSON API is routed only through `routes!(handler)` (utoipa-axum), which registers the
/// handler's route and its OpenAPI description together: a plain `.route(` in an `api.rs` or in
/// `app::api()` would serve a route the document does not have.
#[test]
fn api_routes_are_registered_with_their_description() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for (domain, text) in files("api.rs") {
        // `/media/*` serves stored files outside the JSON API (no JSON, not in the document).
        if domain == "media" {
            continue;
        }
        assert!(
            !text.contains(".route("),
            "{domain}/api.rs routes without a description"
        );
        assert!(
            text.contains("routes!("),
            "{domain}/api.rs registers nothing"
        );
    }
    let app = std::fs::read_to_string(src.join("app.rs")).unwrap();
    let start = app.find("pub fn api()").expect("app::api");
    let end = start + app[start..].find("\n}\n").expect("end of app::api");
    assert!(
        !app[start..end].contains(".route("),
        "app::api() routes without a description"
    );
}
