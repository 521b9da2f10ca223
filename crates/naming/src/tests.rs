//! The names of Hasura's recorded naming-convention cases, and the casing rules.

use serde_json::json;

use super::*;

fn graphql() -> Naming {
    Naming::with(
        &json!({"naming_convention": "graphql-default"}),
        false,
        true,
    )
}

#[test]
fn pieces_and_cases() {
    assert_eq!(from_snake("_is_null"), ["_is", "null"]);
    assert_eq!(camel(&from_snake("author_id"), false), "authorId");
    assert_eq!(camel(&from_snake("ID"), false), "iD");
    assert_eq!(
        pascal(&from_snake("Int_comparison_exp"), false),
        "IntComparisonExp"
    );
    let n = graphql();
    assert_eq!(n.field("_st_3d_d_within"), "_st3dDWithin");
    assert_eq!(n.field("_eq"), "_eq");
    assert_eq!(n.field("where"), "where");
    assert_eq!(n.field("distinct_on"), "distinctOn");
    assert_eq!(n.enum_value("asc_nulls_first"), "ASC_NULLS_FIRST");
    assert_eq!(n.internal("orderBy", &["order_by", "where"]), "order_by");
    assert_eq!(n.internal("DESC", &["asc", "desc"]), "desc");
}

#[test]
fn table_names_under_both_conventions() {
    let t = Ident::table("public", "author_local", None);
    let s = Ident::table("my_schema", "my_table", None);
    let h = Naming::default();
    assert_eq!(h.table_root("insert", &t, "one"), "insert_author_local_one");
    assert_eq!(h.table_type(&s, "bool_exp"), "my_schema_my_table_bool_exp");
    let g = graphql();
    assert_eq!(g.table_root("", &t, ""), "authorLocal");
    assert_eq!(g.table_root("", &t, "by_pk"), "authorLocalByPk");
    assert_eq!(g.table_root("delete", &t, "by_pk"), "deleteAuthorLocalByPk");
    assert_eq!(
        g.table_root("", &s, "aggregate"),
        "mySchemaMyTableAggregate"
    );
    assert_eq!(g.table_type(&t, ""), "AuthorLocal");
    assert_eq!(
        g.table_type(&t, "mutation_response"),
        "AuthorLocalMutationResponse"
    );
    assert_eq!(
        g.table_type(&s, "stddev_pop_fields"),
        "MySchemaMyTableStddevPopFields"
    );
    // A custom name is kept where it comes first, and capitalised after another piece.
    let c = Ident::table("public", "author_local", Some("authorDetails"));
    assert_eq!(g.table_type(&c, ""), "authorDetails");
    assert_eq!(g.table_root("", &c, "by_pk"), "authorDetailsByPk");
    assert_eq!(g.table_root("insert", &c, "one"), "insertAuthorDetailsOne");
    assert_eq!(g.column("author_id", None), "authorId");
    assert_eq!(g.column("id", Some("author_id")), "author_id");
}

#[test]
fn prefixes_and_suffixes() {
    let t = Ident::table("public", "author_local", None);
    let h = Naming::with(
        &json!({"root_fields": {"prefix": "test_", "suffix": "_query"}}),
        false,
        true,
    );
    assert_eq!(
        h.table_root("", &t, "by_pk"),
        "test_author_local_by_pk_query"
    );
    assert_eq!(h.table_type(&t, ""), "author_local");
    let g = Naming::with(
        &json!({"naming_convention": "graphql-default",
                "root_fields": {"prefix": "test", "suffix": "query"},
                "type_names": {"prefix": "foo", "suffix": "bar"}}),
        false,
        true,
    );
    assert_eq!(g.table_root("insert", &t, ""), "testInsertAuthorLocalQuery");
    assert_eq!(g.table_type(&t, ""), "fooAuthorLocalBar");
    assert_eq!(g.typename("cursor_ordering"), "fooCursorOrderingBar");
    assert_eq!(g.type_case("order_by"), "OrderBy");
    let ns = Naming::with(
        &json!({"root_fields": {"namespace": "archive"}, "type_names": {"prefix": "archive_"}}),
        false,
        true,
    );
    assert_eq!(ns.namespace, "archive");
    assert_eq!(
        ns.namespace_type("mutation_frontend"),
        "archive_archive_mutation_frontend"
    );
}

#[test]
fn the_convention_needs_the_experimental_feature() {
    let c = json!({"naming_convention": "graphql-default"});
    assert!(!Naming::with(&c, false, false).graphql);
    assert!(Naming::with(&json!(null), true, true).graphql);
    assert!(!Naming::with(&json!({"naming_convention": "hasura-default"}), true, true).graphql);
    assert!(check_customization(&json!({"naming_convention": "kebab"})).is_err());
    assert!(check_customization(&json!({"root_fields": {"prefix": "a-b"}})).is_err());
    assert!(check_customization(&c).is_ok());
}

#[test]
fn september_2023_names_only_with_the_flag_under_graphql_default() {
    let plain = graphql();
    assert_eq!(plain.scalar("timestamptz"), "timestamptz");
    assert_eq!(plain.db_name("author_pkey"), "author_pkey");
    assert_eq!(
        plain.function_args_type("search_posts_args"),
        "searchPostsArgs"
    );
    let mut flagged = graphql();
    flagged.sep_2023 = true;
    assert_eq!(flagged.scalar("timestamptz"), "Timestamptz");
    assert_eq!(flagged.scalar("Int"), "Int");
    assert_eq!(flagged.scalar("_text"), "_text");
    assert_eq!(flagged.db_name("author_pkey"), "authorPkey");
    assert_eq!(flagged.db_name("arg_1"), "arg1");
    assert_eq!(
        flagged.function_args_type("search_posts_args"),
        "SearchPostsArgs"
    );
    // The flag changes nothing under hasura-default.
    let hasura = Naming {
        sep_2023: true,
        ..Naming::default()
    };
    assert_eq!(hasura.scalar("uuid"), "uuid");
    assert_eq!(hasura.db_name("author_pkey"), "author_pkey");
    assert_eq!(
        hasura.function_args_type("search_posts_args"),
        "search_posts_args"
    );
    // Prefixes still apply to the args type kept as written.
    let prefixed = Naming::with(
        &json!({"naming_convention": "graphql-default", "type_names": {"prefix": "my_"}}),
        false,
        true,
    );
    assert_eq!(
        prefixed.function_args_type("search_posts_args"),
        "my_SearchPostsArgs"
    );
}
