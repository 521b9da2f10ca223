//! GeoJSON given for a geometry or geography column, checked as Hasura parses it before it
//! reaches PostGIS (which would store an open or too-short ring): a known geometry type,
//! positions of at least two numbers, line strings of at least two positions, linear rings of
//! at least four positions whose first and last are equal.

use serde_json::Value;

/// Why `v` is not GeoJSON Hasura accepts, and where below `v` (`.coordinates[0]`, ...).
pub fn check(v: &Value) -> Result<(), (String, String)> {
    let kind = v.get("type").and_then(Value::as_str).unwrap_or_default();
    if kind == "GeometryCollection" {
        let list = v.get("geometries").and_then(Value::as_array);
        let list = list.ok_or(("key \"geometries\" not found".to_string(), String::new()))?;
        for (i, g) in list.iter().enumerate() {
            check(g).map_err(|(m, at)| (m, format!(".geometries[{i}]{at}")))?;
        }
        return Ok(());
    }
    if !matches!(
        kind,
        "Point" | "MultiPoint" | "LineString" | "MultiLineString" | "Polygon" | "MultiPolygon"
    ) {
        return Err((format!("unexpected geometry type: {kind}"), String::new()));
    }
    let coordinates = v
        .get("coordinates")
        .ok_or(("key \"coordinates\" not found".to_string(), String::new()))?;
    let at = ".coordinates".to_string();
    match kind {
        "Point" => position(coordinates, at),
        "MultiPoint" => each(coordinates, at, position),
        "LineString" => line(coordinates, at),
        "MultiLineString" => each(coordinates, at, line),
        "Polygon" => each(coordinates, at, ring),
        _ => each(coordinates, at, |p, at| each(p, at, ring)),
    }
}

type Checked = Result<(), (String, String)>;

fn list(v: &Value, at: &str) -> Result<Vec<Value>, (String, String)> {
    v.as_array()
        .cloned()
        .ok_or(("parsing array failed".to_string(), at.to_string()))
}

fn each(v: &Value, at: String, f: impl Fn(&Value, String) -> Checked) -> Checked {
    for (i, item) in list(v, &at)?.iter().enumerate() {
        f(item, format!("{at}[{i}]"))?;
    }
    Ok(())
}

fn position(v: &Value, at: String) -> Checked {
    let items = list(v, &at)?;
    if items.len() < 2 {
        return Err(("A Position needs at least 2 elements".into(), at));
    }
    if !items.iter().all(Value::is_number) {
        return Err(("A Position's elements must be numbers".into(), at));
    }
    Ok(())
}

fn line(v: &Value, at: String) -> Checked {
    let items = list(v, &at)?;
    if items.len() < 2 {
        return Err(("A LineString needs at least 2 Positions".into(), at));
    }
    each(v, at, position)
}

fn ring(v: &Value, at: String) -> Checked {
    let items = list(v, &at)?;
    if items.len() < 4 {
        return Err(("A LinearRing needs at least 4 Positions".into(), at));
    }
    each(v, at.clone(), position)?;
    if items.first() != items.last() {
        return Err((
            "the first and last locations have to be equal for a LinearRing".into(),
            at,
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn what_hasura_refuses() {
        let square = json!([[0, 0], [0, 1], [1, 1], [0, 0]]);
        assert!(check(&json!({"type": "Polygon", "coordinates": [square]})).is_ok());
        assert!(check(&json!({"type": "Point", "coordinates": [1.5, 2]})).is_ok());
        let err = |v: Value| check(&v).unwrap_err();
        assert_eq!(
            err(json!({"type": "Polygon", "coordinates": [[[0, 0], [0, 1], [0, 0]]]})),
            (
                "A LinearRing needs at least 4 Positions".into(),
                ".coordinates[0]".into()
            )
        );
        assert_eq!(
            err(json!({"type": "Polygon", "coordinates": [[[0, 0], [0, 1], [1, 1], [1, 0]]]})).0,
            "the first and last locations have to be equal for a LinearRing"
        );
        assert_eq!(
            err(json!({"type": "Point", "coordinates": [43.75]})),
            (
                "A Position needs at least 2 elements".into(),
                ".coordinates".into()
            )
        );
        assert_eq!(
            err(json!({"type": "Random"})).0,
            "unexpected geometry type: Random"
        );
        assert_eq!(
            err(json!({"type": "LineString", "coordinates": [[1, 2]]})).0,
            "A LineString needs at least 2 Positions"
        );
    }
}
