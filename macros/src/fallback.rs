//! On error: `compile_error!` plus stubs with the declared signatures, so the user sees only
//! the macro's errors and no follow-on "function not found" errors.

use crate::ast::KernelFn;
use crate::emit::dtype_tokens;
use crate::expand::ret_type;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

pub(crate) fn kernel(k: &KernelFn, err: syn::Error) -> TokenStream {
    let errors = err.to_compile_error();
    let (attrs, vis, name) = (&k.attrs, &k.vis, &k.name);
    let into = format_ident!("{}_into", name);
    let ret_t = match &k.ret {
        Some(r) if !k.extra_rets.is_empty() => {
            let types = std::iter::once(r).chain(&k.extra_rets).map(ret_type);
            quote!((#(#types),*))
        }
        Some(r) => ret_type(r),
        None => quote!(()),
    };
    let ty = k.ret.as_ref().map_or(quote!(()), |r| dtype_tokens(r.dtype));
    let rank = k.ret.as_ref().and_then(|r| r.dims.as_ref()).map_or(0, |d| d.len());
    let mut seen = Vec::new();
    let params: Vec<TokenStream> = k
        .params
        .iter()
        .filter(|p| {
            let fresh = !seen.contains(&p.name);
            seen.push(p.name.clone());
            fresh
        })
        .map(|p| {
            let n = &p.name;
            let t = dtype_tokens(p.ty.dtype);
            match &p.ty.dims {
                Some(d) if p.mutable => {
                    let r = d.len();
                    quote!(#n: impl ::array_expr::__private::OutOperand<'__ae_o, #t, #r>)
                }
                Some(d) => {
                    let r = d.len();
                    quote!(#n: impl ::array_expr::__private::Operand<'__ae, #t, #r>)
                }
                None => quote!(#n: #t),
            }
        })
        .collect();
    let into_fn = (k.extra_rets.is_empty() && k.ret.as_ref().is_some_and(|r| r.dims.is_some())).then(|| {
        quote! {
            #[allow(unused_variables, clippy::too_many_arguments)]
            #vis fn #into<'__ae, '__ae_o>(#(#params,)* out: impl ::array_expr::__private::OutOperand<'__ae_o, #ty, #rank>) -> ::core::result::Result<(), ::array_expr::Error> {
                ::core::unimplemented!()
            }
        }
    });
    quote! {
        #errors
        #(#attrs)*
        #[allow(unused_variables, clippy::too_many_arguments)]
        #vis fn #name<'__ae, '__ae_o>(#(#params),*) -> ::core::result::Result<#ret_t, ::array_expr::Error> {
            ::core::unimplemented!()
        }
        #into_fn
    }
}

pub(crate) fn inline(err: syn::Error) -> TokenStream {
    let errors = err.to_compile_error();
    quote!({ #errors; #[allow(unreachable_code)] ::core::unreachable!() })
}
