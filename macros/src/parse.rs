//! Grammar only: `syn::parse::Parse` for the DSL (a Pratt parser for expressions).

use crate::ast::{BinOp, Body, Call, Expr, IndexItem, Inline, Input, KernelFn, Param, TypeDecl, UnOp};
use crate::diag;
use crate::dtype::{Dtype, Policy};
use crate::shape::Dim;
use proc_macro2::Ident;
use syn::parse::{Parse, ParseStream};
use syn::{bracketed, parenthesized, Token};

impl Parse for Input {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(syn::token::Paren) {
            let inline = parse_inline(input)?;
            return Ok(Input::Inline(inline));
        }
        let mut kernels = Vec::new();
        while !input.is_empty() {
            kernels.push(parse_kernel(input)?);
        }
        if kernels.is_empty() {
            return Err(input.error(diag::EMPTY_INPUT));
        }
        Ok(Input::Kernels(kernels))
    }
}

fn parse_inline(input: ParseStream) -> syn::Result<Inline> {
    let content;
    parenthesized!(content in input);
    let params = parse_params(&content)?;
    input.parse::<Token![=>]>()?;
    let body = if input.peek(syn::token::Brace) {
        let content;
        syn::braced!(content in input);
        parse_body(&content)?
    } else {
        Body { lets: Vec::new(), result: parse_expr(input, 0)?, extra_results: Vec::new(), assign: None }
    };
    if !input.is_empty() {
        return Err(input.error("unexpected tokens after the expression"));
    }
    Ok(Inline { params, body })
}

fn parse_kernel(input: ParseStream) -> syn::Result<KernelFn> {
    let mut attrs = input.call(syn::Attribute::parse_outer)?;
    let mut policy = Policy::Strict;
    let mut kept = Vec::new();
    for attr in attrs.drain(..) {
        if attr.path().is_ident("promote") {
            let mode: Ident = attr.parse_args()?;
            policy = match mode.to_string().as_str() {
                "safe" => Policy::Safe,
                "strict" => Policy::Strict,
                _ => return Err(syn::Error::new(mode.span(), diag::BAD_POLICY)),
            };
        } else {
            kept.push(attr);
        }
    }
    let vis: syn::Visibility = input.parse()?;
    input.parse::<Token![fn]>()?;
    let name: Ident = input.parse()?;
    let content;
    parenthesized!(content in input);
    let params = parse_params(&content)?;
    let mut extra_rets = Vec::new();
    let ret = if input.peek(Token![->]) {
        input.parse::<Token![->]>()?;
        if input.peek(syn::token::Paren) {
            let content;
            parenthesized!(content in input);
            let mut types = Vec::new();
            while !content.is_empty() {
                types.push(parse_type(&content)?);
                if content.is_empty() {
                    break;
                }
                content.parse::<Token![,]>()?;
            }
            let mut it = types.into_iter();
            let first = it.next().ok_or_else(|| content.error(diag::EMPTY_TUPLE))?;
            extra_rets = it.collect();
            Some(first)
        } else {
            Some(parse_type(input)?)
        }
    } else {
        None
    };
    let content;
    syn::braced!(content in input);
    let body = parse_body(&content)?;
    if ret.is_none() && body.assign.is_none() {
        return Err(syn::Error::new(name.span(), diag::MISSING_RETURN));
    }
    Ok(KernelFn { attrs: kept, vis, name, params, ret, extra_rets, body, policy })
}

fn parse_params(input: ParseStream) -> syn::Result<Vec<Param>> {
    let mut params = Vec::new();
    while !input.is_empty() {
        let mutable = input.peek(Token![mut]);
        if mutable {
            input.parse::<Token![mut]>()?;
        }
        let name: Ident = input.parse()?;
        input.parse::<Token![:]>()?;
        let ty = parse_type(input)?;
        params.push(Param { name, ty, mutable });
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(params)
}

fn parse_type(input: ParseStream) -> syn::Result<TypeDecl> {
    let dt: Ident = input.parse()?;
    let dtype = Dtype::from_name(&dt.to_string())
        .ok_or_else(|| syn::Error::new(dt.span(), diag::unknown_dtype(&dt)))?;
    if !input.peek(syn::token::Bracket) {
        return Ok(TypeDecl { dtype, dtype_span: dt.span(), dims: None });
    }
    let content;
    bracketed!(content in input);
    let mut dims = Vec::new();
    while !content.is_empty() {
        if content.peek(syn::LitInt) {
            let lit: syn::LitInt = content.parse()?;
            let n: u64 = lit.base10_parse()?;
            dims.push((Dim::Lit(n), lit.span()));
        } else {
            let id: Ident = content.parse()?;
            dims.push((Dim::Sym(id.to_string()), id.span()));
        }
        if content.is_empty() {
            break;
        }
        content.parse::<Token![,]>()?;
    }
    Ok(TypeDecl { dtype, dtype_span: dt.span(), dims: Some(dims) })
}

fn parse_body(input: ParseStream) -> syn::Result<Body> {
    let mut lets = Vec::new();
    while input.peek(Token![let]) {
        input.parse::<Token![let]>()?;
        let name: Ident = input.parse()?;
        input.parse::<Token![=]>()?;
        let value = parse_expr(input, 0)?;
        input.parse::<Token![;]>()?;
        lets.push((name, value));
    }
    if input.is_empty() {
        return Err(input.error(diag::MISSING_RESULT));
    }
    let assign = parse_assign_target(input)?;
    if let Some(results) = parse_tuple_result(input)? {
        let mut it = results.into_iter();
        let result = it.next().ok_or_else(|| input.error(diag::EMPTY_TUPLE))?;
        return Ok(Body { lets, result, extra_results: it.collect(), assign });
    }
    let result = parse_expr(input, 0)?;
    if input.peek(Token![;]) {
        return Err(input.error(diag::TRAILING_SEMICOLON));
    }
    if !input.is_empty() {
        return Err(input.error("expected an operator or the end of the expression"));
    }
    Ok(Body { lets, result, extra_results: Vec::new(), assign })
}

/// `(a, b, ...)` as the whole result: the outputs of a multi-output kernel. `None` when the
/// result is not a parenthesized list with a top-level comma.
fn parse_tuple_result(input: ParseStream) -> syn::Result<Option<Vec<Expr>>> {
    if !input.peek(syn::token::Paren) {
        return Ok(None);
    }
    let fork = input.fork();
    let content;
    parenthesized!(content in fork);
    if !fork.is_empty() {
        return Ok(None);
    }
    let mut items = vec![parse_expr(&content, 0)?];
    if content.is_empty() {
        return Ok(None);
    }
    while !content.is_empty() {
        content.parse::<Token![,]>()?;
        if content.is_empty() {
            break;
        }
        items.push(parse_expr(&content, 0)?);
    }
    use syn::parse::discouraged::Speculative;
    input.advance_to(&fork);
    Ok(Some(items))
}

/// `x =`, `x +=`, ... at the start of the final statement of an in-place kernel.
fn parse_assign_target(input: ParseStream) -> syn::Result<Option<(Ident, Option<BinOp>, proc_macro2::Span)>> {
    use syn::spanned::Spanned;
    if !input.peek(syn::Ident) {
        return Ok(None);
    }
    let ops: [(bool, Option<BinOp>); 6] = [
        (input.peek2(Token![+=]), Some(BinOp::Add)),
        (input.peek2(Token![-=]), Some(BinOp::Sub)),
        (input.peek2(Token![*=]), Some(BinOp::Mul)),
        (input.peek2(Token![/=]), Some(BinOp::Div)),
        (input.peek2(Token![%=]), Some(BinOp::Rem)),
        (input.peek2(Token![=]) && !input.peek2(Token![==]) && !input.peek2(Token![=>]), None),
    ];
    let Some((_, op)) = ops.into_iter().find(|(hit, _)| *hit) else { return Ok(None) };
    let target: Ident = input.parse()?;
    let span = match op {
        Some(BinOp::Add) => input.parse::<Token![+=]>()?.span(),
        Some(BinOp::Sub) => input.parse::<Token![-=]>()?.span(),
        Some(BinOp::Mul) => input.parse::<Token![*=]>()?.span(),
        Some(BinOp::Div) => input.parse::<Token![/=]>()?.span(),
        Some(_) => input.parse::<Token![%=]>()?.span(),
        None => input.parse::<Token![=]>()?.span(),
    };
    Ok(Some((target, op, span)))
}

/// Binding powers (left, right) of the binary operator at the cursor, if any.
fn peek_binop(input: ParseStream) -> Option<(BinOp, u8, u8)> {
    let table: [(bool, BinOp, u8); 13] = [
        (input.peek(Token![==]), BinOp::Eq, 5),
        (input.peek(Token![!=]), BinOp::Ne, 5),
        (input.peek(Token![<=]), BinOp::Le, 5),
        (input.peek(Token![>=]), BinOp::Ge, 5),
        (input.peek(Token![<]) && !input.peek(Token![<<]), BinOp::Lt, 5),
        (input.peek(Token![>]) && !input.peek(Token![>>]), BinOp::Gt, 5),
        (input.peek(Token![|]) && !input.peek(Token![||]), BinOp::Or, 1),
        (input.peek(Token![&]) && !input.peek(Token![&&]), BinOp::And, 3),
        (input.peek(Token![+]) && !input.peek(Token![+=]), BinOp::Add, 7),
        (input.peek(Token![-]) && !input.peek(Token![-=]) && !input.peek(Token![->]), BinOp::Sub, 7),
        (input.peek(Token![*]) && !input.peek(Token![*=]), BinOp::Mul, 9),
        (input.peek(Token![/]) && !input.peek(Token![/=]), BinOp::Div, 9),
        (input.peek(Token![%]) && !input.peek(Token![%=]), BinOp::Rem, 9),
    ];
    table.into_iter().find(|(hit, _, _)| *hit).map(|(_, op, bp)| (op, bp, bp + 1))
}

fn parse_binop_token(input: ParseStream, op: BinOp) -> syn::Result<proc_macro2::Span> {
    use syn::spanned::Spanned;
    Ok(match op {
        BinOp::Eq => input.parse::<Token![==]>()?.span(),
        BinOp::Ne => input.parse::<Token![!=]>()?.span(),
        BinOp::Le => input.parse::<Token![<=]>()?.span(),
        BinOp::Ge => input.parse::<Token![>=]>()?.span(),
        BinOp::Lt => input.parse::<Token![<]>()?.span,
        BinOp::Gt => input.parse::<Token![>]>()?.span,
        BinOp::Or => input.parse::<Token![|]>()?.span,
        BinOp::And => input.parse::<Token![&]>()?.span,
        BinOp::Add => input.parse::<Token![+]>()?.span,
        BinOp::Sub => input.parse::<Token![-]>()?.span,
        BinOp::Mul => input.parse::<Token![*]>()?.span,
        BinOp::Div => input.parse::<Token![/]>()?.span,
        BinOp::Rem => input.parse::<Token![%]>()?.span,
    })
}

const CAST_BP: u8 = 11;
const PREFIX_BP: u8 = 13;

/// Pratt parser: parses an expression whose operators bind at least `min_bp`.
pub(crate) fn parse_expr(input: ParseStream, min_bp: u8) -> syn::Result<Expr> {
    let mut lhs = parse_prefix(input)?;
    loop {
        if input.peek(Token![as]) && CAST_BP >= min_bp {
            let kw: Token![as] = input.parse()?;
            let dt: Ident = input.parse()?;
            let to = Dtype::from_name(&dt.to_string())
                .ok_or_else(|| syn::Error::new(dt.span(), diag::unknown_dtype(&dt)))?;
            lhs = Expr::Cast { expr: Box::new(lhs), to, span: kw.span };
            continue;
        }
        if input.peek(Token![&&]) || input.peek(Token![||]) {
            return Err(input.error(diag::SHORT_CIRCUIT));
        }
        let Some((op, lbp, rbp)) = peek_binop(input) else { break };
        if lbp < min_bp {
            break;
        }
        let span = parse_binop_token(input, op)?;
        let rhs = parse_expr(input, rbp)?;
        lhs = Expr::Binary { op, span, lhs: Box::new(lhs), rhs: Box::new(rhs) };
    }
    Ok(lhs)
}

fn parse_prefix(input: ParseStream) -> syn::Result<Expr> {
    if input.peek(Token![-]) || input.peek(Token![!]) {
        return parse_unary(input);
    }
    let mut e = parse_primary(input)?;
    loop {
        if input.peek(Token![.]) && !input.peek(Token![..]) {
            let dot: Token![.] = input.parse()?;
            let name: Ident = input.parse()?;
            if name != "T" {
                return Err(syn::Error::new(name.span(), diag::unknown_postfix(&name)));
            }
            e = Expr::Transpose { expr: Box::new(e), axes: None, span: dot.span };
        } else if input.peek(syn::token::Bracket) {
            let content;
            let b = bracketed!(content in input);
            let items = parse_index_items(&content)?;
            e = Expr::Index { expr: Box::new(e), items, span: b.span.join() };
        } else {
            return Ok(e);
        }
    }
}

fn parse_index_items(input: ParseStream) -> syn::Result<Vec<IndexItem>> {
    let mut items = Vec::new();
    while !input.is_empty() {
        if input.peek(Token![:]) {
            input.parse::<Token![:]>()?;
            items.push(IndexItem::Full);
        } else if input.peek(syn::Ident) {
            let id: Ident = input.parse()?;
            if id != "newaxis" && id != "None" {
                return Err(syn::Error::new(id.span(), diag::BAD_INDEX));
            }
            items.push(IndexItem::NewAxis);
        } else {
            return Err(input.error(diag::BAD_INDEX));
        }
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(items)
}

fn parse_unary(input: ParseStream) -> syn::Result<Expr> {
    if input.peek(Token![-]) {
        let t: Token![-] = input.parse()?;
        let expr = parse_expr(input, PREFIX_BP)?;
        return Ok(Expr::Unary { op: UnOp::Neg, span: t.span, expr: Box::new(expr) });
    }
    if input.peek(Token![!]) {
        let t: Token![!] = input.parse()?;
        let expr = parse_expr(input, PREFIX_BP)?;
        return Ok(Expr::Unary { op: UnOp::Not, span: t.span, expr: Box::new(expr) });
    }
    Err(input.error(diag::EXPECTED_EXPR))
}

fn parse_primary(input: ParseStream) -> syn::Result<Expr> {
    if input.peek(syn::token::Paren) {
        let content;
        parenthesized!(content in input);
        let e = parse_expr(&content, 0)?;
        if !content.is_empty() {
            return Err(content.error("expected `)`"));
        }
        return Ok(e);
    }
    if input.peek(syn::Lit) {
        return parse_literal(input);
    }
    if input.peek(Token![where]) {
        let kw: Token![where] = input.parse()?;
        let name = Ident::new("where", kw.span);
        return parse_call(input, name);
    }
    if input.peek(syn::Ident) {
        let name: Ident = input.parse()?;
        if input.peek(syn::token::Paren) || input.peek(Token![::]) {
            return parse_call(input, name);
        }
        return Ok(Expr::Var(name));
    }
    Err(input.error(diag::EXPECTED_EXPR))
}

fn parse_literal(input: ParseStream) -> syn::Result<Expr> {
    let lit: syn::Lit = input.parse()?;
    match &lit {
        syn::Lit::Int(i) if i.suffix().is_empty() => {
            Ok(Expr::Int { value: i.base10_parse()?, span: i.span() })
        }
        syn::Lit::Float(f) if f.suffix().is_empty() => {
            Ok(Expr::Float { value: f.base10_parse()?, text: f.base10_digits().to_string(), span: f.span() })
        }
        syn::Lit::Int(_) | syn::Lit::Float(_) => Err(syn::Error::new(lit.span(), diag::LITERAL_SUFFIX)),
        syn::Lit::Bool(b) => Ok(Expr::Bool { value: b.value, span: b.span }),
        _ => Err(syn::Error::new(lit.span(), diag::BAD_LITERAL)),
    }
}

fn parse_call(input: ParseStream, name: Ident) -> syn::Result<Expr> {
    let mut acc = None;
    if input.peek(Token![::]) {
        input.parse::<Token![::]>()?;
        input.parse::<Token![<]>()?;
        let dt: Ident = input.parse()?;
        let d = Dtype::from_name(&dt.to_string())
            .ok_or_else(|| syn::Error::new(dt.span(), diag::unknown_dtype(&dt)))?;
        input.parse::<Token![>]>()?;
        acc = Some((d, dt.span()));
    }
    let content;
    parenthesized!(content in input);
    let mut call = Call { name, acc, args: Vec::new(), axis: None, keepdims: false };
    while !content.is_empty() {
        parse_arg(&content, &mut call)?;
        if content.is_empty() {
            break;
        }
        content.parse::<Token![,]>()?;
    }
    Ok(Expr::Call(call))
}

fn parse_arg(input: ParseStream, call: &mut Call) -> syn::Result<()> {
    let named = input.peek(syn::Ident) && input.peek2(Token![=]) && !input.peek2(Token![==]);
    let flag = input.peek(syn::Ident) && (input.peek2(Token![,]) || is_last_token(input));
    if named {
        let key: Ident = input.parse()?;
        input.parse::<Token![=]>()?;
        match key.to_string().as_str() {
            "axis" | "axes" => call.axis = Some((parse_axes(input)?, key.span())),
            "keepdims" => call.keepdims = input.parse::<syn::LitBool>()?.value,
            _ => return Err(syn::Error::new(key.span(), diag::unknown_named_arg(&key))),
        }
        return Ok(());
    }
    if flag && input.fork().parse::<Ident>().map(|i| i == "keepdims").unwrap_or(false) {
        input.parse::<Ident>()?;
        call.keepdims = true;
        return Ok(());
    }
    call.args.push(parse_expr(input, 0)?);
    Ok(())
}

fn is_last_token(input: ParseStream) -> bool {
    let fork = input.fork();
    fork.parse::<proc_macro2::TokenTree>().is_ok() && fork.is_empty()
}

fn parse_axes(input: ParseStream) -> syn::Result<Vec<i64>> {
    let one = |s: ParseStream| -> syn::Result<i64> {
        let neg = s.peek(Token![-]);
        if neg {
            s.parse::<Token![-]>()?;
        }
        let lit: syn::LitInt = s.parse()?;
        let v: i64 = lit.base10_parse()?;
        Ok(if neg { -v } else { v })
    };
    if input.peek(syn::token::Paren) {
        let content;
        parenthesized!(content in input);
        let mut axes = Vec::new();
        while !content.is_empty() {
            axes.push(one(&content)?);
            if content.is_empty() {
                break;
            }
            content.parse::<Token![,]>()?;
        }
        return Ok(axes);
    }
    Ok(vec![one(input)?])
}
