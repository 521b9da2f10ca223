//! Handler scaffolds for actions, as the Codegen tab of Hasura's console gives them, from
//! exported metadata (used by `rasura codegen action` and by the console).

use serde_json::Value;

/// The frameworks scaffolds are written for.
pub const FRAMEWORKS: [&str; 3] = ["python-fast-api", "typescript-express", "rust-axum"];

struct Field {
    name: String,
    ty: String,
}

struct Action {
    name: String,
    mutation: bool,
    arguments: Vec<Field>,
    output_type: String,
}

fn fields(v: &Value) -> Vec<Field> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| {
            Some(Field {
                name: f.get("name")?.as_str()?.to_string(),
                ty: f.get("type")?.as_str()?.to_string(),
            })
        })
        .collect()
}

fn find_action(md: &Value, name: &str) -> Result<Action, String> {
    let a = md["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["name"] == name)
        .ok_or_else(|| format!("no action named {name:?} in the metadata"))?;
    let d = &a["definition"];
    Ok(Action {
        name: name.to_string(),
        mutation: d["type"].as_str() != Some("query"),
        arguments: fields(&d["arguments"]),
        output_type: d["output_type"].as_str().unwrap_or("String").to_string(),
    })
}

/// The custom types the action uses, in declaration order: (name, is_input, fields).
fn used_types(md: &Value, action: &Action) -> Vec<(String, bool, Vec<Field>)> {
    let base = |t: &str| {
        t.trim_matches(|c| c == '[' || c == ']' || c == '!')
            .to_string()
    };
    let mut wanted: Vec<String> = action.arguments.iter().map(|f| base(&f.ty)).collect();
    wanted.push(base(&action.output_type));
    let mut out: Vec<(String, bool, Vec<Field>)> = vec![];
    let mut i = 0;
    while i < wanted.len() {
        let name = wanted[i].clone();
        i += 1;
        if out.iter().any(|(n, _, _)| *n == name) {
            continue;
        }
        for (key, input) in [("objects", false), ("input_objects", true)] {
            if let Some(t) = md["custom_types"][key]
                .as_array()
                .into_iter()
                .flatten()
                .find(|t| t["name"] == name.as_str())
            {
                let fs = fields(&t["fields"]);
                wanted.extend(fs.iter().map(|f| base(&f.ty)));
                out.push((name.clone(), input, fs));
            }
        }
    }
    // Objects before the types that use them reads better: put the output type first.
    out.reverse();
    out
}

/// Python type of a GraphQL type reference.
fn py(ty: &str) -> String {
    let (inner, nullable) = match ty.strip_suffix('!') {
        Some(t) => (t, false),
        None => (ty, true),
    };
    let t = if let Some(list) = inner.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        format!("list[{}]", py(list))
    } else {
        match inner {
            "String" | "ID" | "uuid" => "str".to_string(),
            "Int" => "int".to_string(),
            "Float" => "float".to_string(),
            "Boolean" => "bool".to_string(),
            other => other.to_string(),
        }
    };
    if nullable {
        format!("{t} | None")
    } else {
        t
    }
}

fn ts(ty: &str) -> String {
    let (inner, nullable) = match ty.strip_suffix('!') {
        Some(t) => (t, false),
        None => (ty, true),
    };
    let t = if let Some(list) = inner.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        format!("Array<{}>", ts(list))
    } else {
        match inner {
            "String" | "ID" | "uuid" => "string".to_string(),
            "Int" | "Float" => "number".to_string(),
            "Boolean" => "boolean".to_string(),
            other => other.to_string(),
        }
    };
    if nullable {
        format!("{t} | null")
    } else {
        t
    }
}

fn rs(ty: &str) -> String {
    let (inner, nullable) = match ty.strip_suffix('!') {
        Some(t) => (t, false),
        None => (ty, true),
    };
    let t = if let Some(list) = inner.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        format!("Vec<{}>", rs(list))
    } else {
        match inner {
            "String" | "ID" | "uuid" => "String".to_string(),
            "Int" => "i32".to_string(),
            "Float" => "f64".to_string(),
            "Boolean" => "bool".to_string(),
            other => other.to_string(),
        }
    };
    if nullable {
        format!("Option<{t}>")
    } else {
        t
    }
}

/// The scaffold for `framework`.
pub fn generate(md: &Value, action: &str, framework: &str) -> Result<String, String> {
    let a = find_action(md, action)?;
    let types = used_types(md, &a);
    let root = if a.mutation { "Mutation" } else { "Query" };
    let out_base = a
        .output_type
        .trim_matches(|c| c == '[' || c == ']' || c == '!');
    Ok(match framework {
        "python-fast-api" => {
            let mut t = format!(
                "# {}Types.py\nfrom pydantic import BaseModel\nfrom enum import Enum, auto\n\n",
                a.name
            );
            for (name, _, fs) in &types {
                t += &format!("\nclass {name}(BaseModel):\n");
                for f in fs {
                    t += &format!("  {}: {}\n", f.name, py(&f.ty));
                }
            }
            t += &format!(
                "\nclass {root}(BaseModel):\n  {}: {}\n",
                a.name,
                py(a.output_type.trim_end_matches('!'))
            );
            t += &format!("\nclass {}Args(BaseModel):\n", a.name);
            for f in &a.arguments {
                t += &format!("  {}: {}\n", f.name, py(&f.ty));
            }
            t += &format!(
                "\n# main.py\nfrom typing import Generic, TypeVar\nfrom fastapi import FastAPI\nfrom pydantic import BaseModel\nfrom pydantic.generics import GenericModel\nfrom {n}Types import {out}, {n}Args\n\nActionInput = TypeVar(\"ActionInput\", bound=BaseModel | None)\n\n\nclass ActionName(BaseModel):\n    name: str\n\n\nclass ActionPayload(GenericModel, Generic[ActionInput]):\n    action: ActionName\n    input: ActionInput\n    request_query: str\n    session_variables: dict[str, str]\n\n\napp = FastAPI()\n\n\n@app.post(\"/{n}\")\nasync def {n}Handler(action: ActionPayload[{n}Args]) -> {out}:\n    # your business logic here\n    return {out}()\n",
                n = a.name,
                out = out_base
            );
            t
        }
        "typescript-express" => {
            let mut t = String::from("import express, { Request, Response } from \"express\";\n\n");
            for (name, _, fs) in &types {
                t += &format!("type {name} = {{\n");
                for f in fs {
                    t += &format!("  {}: {};\n", f.name, ts(&f.ty));
                }
                t += "};\n\n";
            }
            t += &format!("type {}Args = {{\n", a.name);
            for f in &a.arguments {
                t += &format!("  {}: {};\n", f.name, ts(&f.ty));
            }
            t += &format!(
                "}};\n\nconst app = express();\napp.use(express.json());\n\napp.post(\"/{n}\", async (req: Request, res: Response) => {{\n  const args: {n}Args = req.body.input;\n  // your business logic here\n  const result: {out} = {{}} as {out};\n  return res.json(result);\n}});\n\napp.listen(3000);\n",
                n = a.name,
                out = out_base
            );
            t
        }
        "rust-axum" => {
            let mut t = format!(
                "//! The `{n}` action's handler, on rasura-sdk (generated by `rasura codegen action`).\n\n\
                 use axum::{{routing::post, Json, Router}};\n\
                 use rasura_sdk::{{ActionError, ActionPayload}};\n\
                 use serde::{{Deserialize, Serialize}};\n\n",
                n = a.name
            );
            for (name, input, fs) in &types {
                let derive = if *input { "Deserialize" } else { "Serialize" };
                t += &format!("#[derive(Debug, {derive})]\n#[allow(non_snake_case, non_camel_case_types)]\npub struct {name} {{\n");
                for f in fs {
                    t += &format!("    pub {}: {},\n", f.name, rs(&f.ty));
                }
                t += "}\n\n";
            }
            t += &format!("#[derive(Debug, Deserialize)]\n#[allow(non_snake_case, non_camel_case_types)]\npub struct {}Args {{\n", a.name);
            for f in &a.arguments {
                t += &format!("    pub {}: {},\n", f.name, rs(&f.ty));
            }
            t += &format!(
                "}}\n\n/// POST /{n}: the `{n}` action.\nasync fn {n}_handler(\n    payload: ActionPayload<{n}Args>,\n) -> Result<Json<{out}>, ActionError> {{\n    let _args = payload.input;\n    // your business logic here: answer Ok(Json({out} {{ .. }})), or refuse with an ActionError\n    Err(ActionError::new(\"{n} is not implemented yet\").with_code(\"not-implemented\"))\n}}\n\n/// The routes of the action handlers.\npub fn router() -> Router {{\n    Router::new().route(\"/{n}\", post({n}_handler))\n}}\n",
                n = a.name,
                out = out_base
            );
            t
        }
        other => {
            return Err(format!(
                "unknown framework {other:?}; one of: {}",
                FRAMEWORKS.join(", ")
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn tutorial() -> Value {
        json!({
            "actions": [{"name": "login", "definition": {"kind": "synchronous", "type": "mutation",
                "arguments": [{"name": "username", "type": "String!"}, {"name": "password", "type": "String!"}],
                "output_type": "LoginResponse", "handler": "http://backend/login"}}],
            "custom_types": {"objects": [{"name": "LoginResponse", "fields": [{"name": "AccessToken", "type": "String!"}]}]}
        })
    }

    #[test]
    fn python_matches_the_tutorials_types_file() {
        let out = generate(&tutorial(), "login", "python-fast-api").unwrap();
        let types = out.split("# main.py").next().unwrap();
        // The shape of the tutorial's loginTypes.py.
        for expected in [
            "from pydantic import BaseModel",
            "class LoginResponse(BaseModel):\n  AccessToken: str",
            "class Mutation(BaseModel):\n  login: LoginResponse | None",
            "class loginArgs(BaseModel):\n  username: str\n  password: str",
        ] {
            assert!(types.contains(expected), "missing {expected:?} in\n{types}");
        }
        assert!(out.contains("@app.post(\"/login\")"));
    }

    #[test]
    fn other_frameworks_and_errors() {
        let ts = generate(&tutorial(), "login", "typescript-express").unwrap();
        assert!(ts.contains("type LoginResponse = {\n  AccessToken: string;\n};"));
        let rs = generate(&tutorial(), "login", "rust-axum").unwrap();
        assert!(rs.contains(
            "pub struct loginArgs {\n    pub username: String,\n    pub password: String,\n}"
        ));
        assert!(generate(&tutorial(), "logout", "rust-axum").is_err());
        // The scaffold for the tutorial's login is the crate examples/codegen-login, which the
        // workspace builds against rasura-sdk.
        assert_eq!(
            rs,
            include_str!("../../../examples/codegen-login/src/lib.rs"),
            "regenerate examples/codegen-login/src/lib.rs"
        );
        assert!(generate(&tutorial(), "login", "cobol").is_err());
    }
}
