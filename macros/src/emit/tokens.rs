//! Token helpers shared by the pass emitters: runtime path, dtypes, literals, operators, casts.

use crate::ast::BinOp;
use crate::dtype::Dtype;
use crate::ir::{Const, NodeId};
use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};

pub(super) fn rt() -> TokenStream {
    quote!(::array_expr::__private)
}

pub(crate) fn dtype_tokens(d: Dtype) -> TokenStream {
    let id = Ident::new(d.name(), Span::call_site());
    quote!(#id)
}

pub(super) fn v(id: NodeId) -> Ident {
    format_ident!("__ae_v{}", id.0)
}

pub(super) fn lit_usize(n: usize) -> Literal {
    Literal::usize_suffixed(n)
}

pub(super) fn const_tokens(c: &Const, d: Dtype) -> TokenStream {
    let ty = dtype_tokens(d);
    match c {
        Const::Bool(b) => quote!(#b),
        Const::Int(i) if d.is_float() => float_lit(*i as f64, &ty),
        Const::Int(i) => {
            let l = Literal::i128_unsuffixed(i.unsigned_abs() as i128);
            if *i < 0 {
                quote!(-(#l as #ty))
            } else {
                quote!(#l)
            }
        }
        Const::Float(f) => float_lit(*f, &ty),
    }
}

pub(super) fn float_lit(f: f64, ty: &TokenStream) -> TokenStream {
    if f.is_infinite() {
        return if f > 0.0 { quote!(#ty::INFINITY) } else { quote!(#ty::NEG_INFINITY) };
    }
    if f.is_nan() {
        return quote!(#ty::NAN);
    }
    let l = Literal::f64_unsuffixed(f.abs());
    if f.is_sign_negative() {
        quote!(-#l)
    } else {
        quote!(#l)
    }
}

pub(super) fn binary_tokens(op: BinOp, a: Ident, b: Ident) -> TokenStream {
    let rt = rt();
    match op {
        BinOp::Add => quote!(#rt::ops::add(#a, #b)),
        BinOp::Sub => quote!(#rt::ops::sub(#a, #b)),
        BinOp::Mul => quote!(#rt::ops::mul(#a, #b)),
        BinOp::Div => quote!(#rt::ops::div(#a, #b)),
        BinOp::Rem => quote!(#rt::ops::rem(#a, #b)),
        BinOp::Eq => quote!(#a == #b),
        BinOp::Ne => quote!(#a != #b),
        BinOp::Lt => quote!(#a < #b),
        BinOp::Le => quote!(#a <= #b),
        BinOp::Gt => quote!(#a > #b),
        BinOp::Ge => quote!(#a >= #b),
        BinOp::And => quote!(#a & #b),
        BinOp::Or => quote!(#a | #b),
    }
}

pub(super) fn cast_tokens(a: Ident, from: Dtype, to: Dtype) -> TokenStream {
    let t = dtype_tokens(to);
    let f = dtype_tokens(from);
    match (from, to) {
        (x, y) if x == y => quote!(#a),
        (Dtype::Bool, _) => quote!((#a as u8) as #t),
        (_, Dtype::Bool) => quote!(#a != (0 as #f)),
        _ => quote!(#a as #t),
    }
}
