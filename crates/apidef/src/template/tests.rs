//! Unit tests of the evaluator: intrinsics, conditions and references on small templates.

use super::eval::{At, Context};
use super::parse::{from_yaml, Template};
use super::TemplateOptions;
use serde_json::{json, Value};
use std::path::Path;

fn template(values: &str) -> Template {
    let text = format!(
        "Parameters:\n  Env: {{Type: String, Default: dev}}\n  Zones: {{Type: CommaDelimitedList, Default: 'a,b'}}\n\
         \x20 Secret: {{Type: String, NoEcho: true, AllowedValues: [s3cr3t]}}\n\
         Conditions:\n  IsDev: !Equals [!Ref Env, dev]\n  NotDev: !Not [!Condition IsDev]\n  Loop: !Not [!Condition Loop]\n\
         Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      FunctionName: !Sub '${{Env}}-fn'\n\
         {values}"
    );
    from_yaml(Path::new("/stack/my-stack.yaml"), &text)
}

/// Evaluates property `name` of the resource `Values` defined by `properties`.
fn eval(properties: &str, name: &str) -> Result<Option<Value>, String> {
    let t = template(&format!(
        "  Values:\n    Type: Custom::Values\n    Properties:\n{properties}"
    ));
    let options = TemplateOptions::default();
    let ctx = Context::new(&t, &options);
    ctx.property("Values", name).map_err(|e| e.to_string())
}

fn value(properties: &str) -> Value {
    eval(properties, "V").unwrap().unwrap()
}

#[test]
fn sub_with_pseudo_parameters_attributes_variables_and_literals() {
    assert_eq!(
        value("      V: !Sub '${AWS::StackName}/${AWS::Region}/${AWS::AccountId}/${Fn}/${Fn.Arn}'\n"),
        json!("my-stack/us-east-1/123456789012/dev-fn/arn:aws:lambda:us-east-1:123456789012:function:dev-fn")
    );
    assert_eq!(
        value("      V: !Sub ['${!Literal}-${X}-${ Env }', {X: !Ref AWS::Partition}]\n"),
        json!("${Literal}-aws-dev")
    );
    assert_eq!(
        value("      V: {'Fn::GetAtt': Fn.Arn}\n"),
        value("      V: !GetAtt [Fn, !Sub Arn]\n")
    );
    let e = eval("      V: !Sub 'a-${Env'\n", "V").unwrap_err();
    assert!(e.contains("unclosed ${"), "{e}");
}

#[test]
fn lists_select_split_join_and_novalue() {
    assert_eq!(value("      V: !Select [1, !Ref Zones]\n"), json!("b"));
    assert_eq!(
        value("      V: !Join [',', !Split ['/', 'x/y/z']]\n"),
        json!("x,y,z")
    );
    assert_eq!(
        value("      V: [a, !Ref AWS::NoValue, !If [IsDev, c, d]]\n"),
        json!(["a", "c"])
    );
    assert_eq!(
        eval("      V: !If [NotDev, x, !Ref AWS::NoValue]\n", "V"),
        Ok(None)
    );
    let e = eval("      V: !Select [5, [a]]\n", "V").unwrap_err();
    assert!(
        e.contains("index 5 out of a list of 1") && e.contains("Values.Properties.V"),
        "{e}"
    );
}

#[test]
fn conditions_and_their_mistakes() {
    assert_eq!(
        value("      V: [!If [IsDev, 1, 0], !If [NotDev, 1, 0]]\n"),
        json!([1, 0])
    );
    assert_eq!(
        value("      V: !Or [!Equals [!Ref Env, prod], !Equals [3, '3']]\n"),
        json!(true)
    );
    let e = eval("      V: !If [Loop, 1, 0]\n", "V").unwrap_err();
    assert!(e.contains("condition Loop depends on itself"), "{e}");
    let e = eval("      V: !If [Nowhere, 1, 0]\n", "V").unwrap_err();
    assert!(e.contains("condition Nowhere, which is not defined"), "{e}");
}

#[test]
fn references_to_nothing_and_unknown_attributes_are_named() {
    let e = eval("      V: !Ref Nothing\n", "V").unwrap_err();
    assert!(
        e.contains("Values: Ref to Nothing, which is no parameter or resource"),
        "{e}"
    );
    let e = eval("      V: !GetAtt Fn.Version\n", "V").unwrap_err();
    assert!(
        e.contains("Fn::GetAtt Fn.Version (AWS::Lambda::Function), which has no local value"),
        "{e}"
    );
    let e = eval("      V: !Base64 abc\n", "V").unwrap_err();
    assert!(
        e.contains("unsupported intrinsic Fn::Base64 in Values.Properties.V"),
        "{e}"
    );
    // Only what is read is evaluated.
    assert_eq!(
        eval("      V: x\n      W: !ImportValue y\n", "V"),
        Ok(Some(json!("x")))
    );
}

#[test]
fn a_resource_exists_only_when_its_condition_holds() {
    let t = template("  Prod:\n    Type: AWS::SQS::Queue\n    Condition: NotDev\n");
    let options = TemplateOptions::default();
    let ctx = Context::new(&t, &options);
    assert_eq!(
        ctx.resources_of("AWS::SQS::Queue").unwrap(),
        Vec::<&str>::new()
    );
    let e = ctx
        .eval(&json!({"Ref": "Prod"}), &At::property("Fn", "X"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("whose Condition does not hold"), "{e}");
}

#[test]
fn a_noecho_value_is_not_repeated_in_an_error() {
    let t = template("");
    let options = TemplateOptions {
        parameters: [("Secret".to_owned(), "hunter2".to_owned())].into(),
        ..TemplateOptions::default()
    };
    let ctx = Context::new(&t, &options);
    let e = ctx
        .eval(&json!({"Ref": "Secret"}), &At::property("Fn", "X"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("parameter Secret is (NoEcho)") && !e.contains("hunter2"),
        "{e}"
    );
}
