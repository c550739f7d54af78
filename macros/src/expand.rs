//! The driver: parse -> typeck -> check -> emit, with errors propagated between phases.

use crate::ast::{Body, Inline, Input, KernelFn, Param, TypeDecl};
use crate::diag::{self, Errors};
use crate::emit::{dtype_tokens, Emitter};
use crate::explain::{self, Explain, OutputDecl, PassRecord};
use crate::fallback;
use crate::ir::{NodeId, Op};
use crate::shape::{self, Dim};
use crate::typeck::{typeck, Typed};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};

/// Expands one invocation. Never panics; on error returns `compile_error!` plus stubs.
pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let parsed: Input = match syn::parse2(input) {
        Ok(i) => i,
        Err(e) => return e.to_compile_error(),
    };
    match parsed {
        Input::Kernels(ks) => ks.iter().map(expand_kernel).collect(),
        Input::Inline(inl) => expand_inline(&inl),
    }
}

/// Symbols in order of first appearance among the array parameters.
fn symbols(params: &[Param]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in params {
        for (d, _) in p.ty.dims.iter().flatten() {
            if let Dim::Sym(s) = d {
                if !out.contains(s) {
                    out.push(s.clone());
                }
            }
        }
    }
    out
}

/// Rule: every symbol of the result type is bound by some parameter.
fn check_ret_symbols(ret: &TypeDecl, syms: &[String], errors: &mut Errors) {
    for (d, span) in ret.dims.iter().flatten() {
        if let Dim::Sym(s) = d {
            if !syms.contains(s) {
                errors.push(*span, format!("the result dim `{s}` is not a dim of any argument, so its size is unknown; use a symbol of an argument"));
            }
        }
    }
}

/// Rule: the body's dtype and shape equal the declared result type.
fn check_result(ret: &TypeDecl, typed: &Typed, root: NodeId, errors: &mut Errors) {
    let Some(root) = typed.ir.get(root) else { return };
    let want_shape = ret.shape();
    let span = ret.dtype_span;
    if root.dtype != ret.dtype {
        errors.push(
            span,
            format!(
                "the body has dtype `{}` but the kernel declares `{}{}`; cast the result (`... as {}`) or change the declaration",
                root.dtype,
                ret.dtype,
                shape::show(&want_shape),
                ret.dtype
            ),
        );
    }
    if root.shape != want_shape {
        let got = if root.shape.is_empty() {
            "a scalar".to_string()
        } else {
            format!("shape {}", shape::show(&root.shape))
        };
        let want = if want_shape.is_empty() { "a scalar".to_string() } else { shape::show(&want_shape) };
        errors.push(span, format!("the body has {got} but the kernel declares {want}"));
    }
}

fn typecheck(
    params: &[Param],
    body: &Body,
    policy: crate::dtype::Policy,
    errors: &mut Errors,
) -> Option<Typed> {
    typeck(params, body, policy, errors)
}

/// `let x = Operand::into_operand(x);` and shape binding for every array parameter.
fn bind_params(params: &[Param], syms: &[String], by_ref: bool) -> TokenStream {
    let rt = quote!(::array_expr::__private);
    let names: Vec<&str> = syms.iter().map(|s| s.as_str()).collect();
    let mut out = vec![quote!(let mut __ae_b = #rt::runtime::ShapeBinder::new([#(#names),*]);)];
    for p in params {
        let name = &p.name;
        let ty = dtype_tokens(p.ty.dtype);
        let Some(dims) = &p.ty.dims else {
            if by_ref {
                out.push(quote!(let #name: #ty = #name;));
            }
            continue;
        };
        let rank = dims.len();
        let arg = if by_ref { quote!(&#name) } else { quote!(#name) };
        let spec = dim_spec(dims.iter().map(|(d, _)| d), syms);
        let sname = name.to_string();
        if p.mutable {
            out.push(quote! {
                let mut __ae_out = #rt::OutOperand::<'_, #ty, #rank>::into_out(#name);
                let #name = __ae_out.view();
                __ae_b.bind_all(#sname, &#spec, &#name.shape())?;
            });
            continue;
        }
        out.push(quote! {
            let #name = <_ as #rt::Operand<'_, #ty, #rank>>::into_operand(#arg);
            __ae_b.bind_all(#sname, &#spec, &#name.shape())?;
        });
    }
    quote!(#(#out)*)
}

fn dim_spec<'d>(dims: impl Iterator<Item = &'d Dim>, syms: &[String]) -> TokenStream {
    let items = dims.map(|d| match d {
        Dim::Sym(s) => {
            let k = syms.iter().position(|x| x == s).unwrap_or(usize::MAX);
            quote!(::core::result::Result::Ok(#k))
        }
        Dim::Lit(n) => {
            let n = *n as usize;
            quote!(::core::result::Result::Err(#n))
        }
    });
    quote!([#(#items),*])
}

/// Statements computing the root into `dst` (a mutable view expression of the root's shape),
/// and the passes they run.
fn body_into(
    typed: &Typed,
    params: &[Param],
    syms: &[String],
    dst: TokenStream,
) -> (TokenStream, Vec<PassRecord>) {
    body_into_many(typed, params, syms, vec![(typed.root, dst)])
}

/// Statements computing each root into its destination, sharing reduction temporaries, and
/// the passes they run.
fn body_into_many(
    typed: &Typed,
    params: &[Param],
    syms: &[String],
    outs: Vec<(NodeId, TokenStream)>,
) -> (TokenStream, Vec<PassRecord>) {
    let mut em = Emitter::new(&typed.ir, params, syms);
    em.set_inplace(typed.inplace);
    for (k, (root_id, dst)) in outs.into_iter().enumerate() {
        em.set_output(k);
        let root = typed.ir.get(root_id);
        match root.map(|n| &n.op) {
            Some(Op::Reduce { .. }) if typed.inplace.is_some() => em.emit_assign_from_temp(root_id, dst),
            Some(Op::Reduce { input, axes, .. }) => {
                let in_shape = typed.ir.get(*input).map(|n| n.shape.clone()).unwrap_or_default();
                let kept: Vec<Dim> = in_shape
                    .iter()
                    .enumerate()
                    .map(|(a, d)| if axes.contains(&a) { Dim::Lit(1) } else { d.clone() })
                    .collect();
                let kept_e = em.shape_expr(&kept);
                em.emit_reduce(
                    root_id,
                    quote!(#dst.reshape(#kept_e, ::array_expr::__private::runtime::Order::C)?),
                );
            }
            _ => em.emit_final(root_id, dst),
        }
    }
    let stmts = em.take_stmts();
    (quote!(#(#stmts)*), em.take_records())
}

/// The plan text of a kernel and the items exposing it: a `NAME_PLAN` constant, and doc
/// lines for the kernel function.
fn plan_items(
    k: &KernelFn,
    typed: &Typed,
    records: &[PassRecord],
    outputs: &[OutputDecl],
) -> (TokenStream, TokenStream) {
    let sig = explain::signature(&k.name.to_string(), &k.params, outputs, k.ret.is_none());
    let symbols = symbols(&k.params);
    let text = Explain { ir: &typed.ir, params: &k.params, records, outputs, symbols: &symbols }.text(&sig);
    let vis = &k.vis;
    let name = &k.name;
    let konst = format_ident!("{}_PLAN", k.name.to_string().to_uppercase());
    let const_doc = format!(" The execution plan of [`{name}`], as generated by `array_expr!`:\n passes, fused operations, temporaries, memory traffic and where fusion was cut.");
    let fn_doc = format!(
        "\n # Plan\n\n ```text\n{}\n ```",
        text.lines().map(|l| format!(" {l}")).collect::<Vec<_>>().join("\n")
    );
    let signature = signature_item(k);
    let item = quote! {
        #[doc = #const_doc]
        #[allow(dead_code)]
        #vis const #konst: &str = #text;
        #signature
    };
    (item, quote!(#[doc = #fn_doc]))
}

/// The `NAME_SIGNATURE` constant: the kernel's operands and outputs (names, dtypes, dims) as a
/// `KernelSignature`, for adapters such as the DataFusion UDFs (`interop::datafusion`).
fn signature_item(k: &KernelFn) -> TokenStream {
    let sig = quote!(::array_expr::__private::runtime::interop::signature);
    let operand = |name: &str, ty: &TypeDecl, mutable: bool| {
        let dt = dtype_tokens(ty.dtype);
        let dims = match &ty.dims {
            Some(d) => {
                let d = d.iter().map(|(d, _)| match d {
                    Dim::Sym(s) => quote!(#sig::Dim::Sym(#s)),
                    Dim::Lit(n) => {
                        let n = *n as usize;
                        quote!(#sig::Dim::Lit(#n))
                    }
                });
                quote!(::core::option::Option::Some(&[#(#d),*]))
            }
            None => quote!(::core::option::Option::None),
        };
        quote! {
            #sig::OperandSignature {
                name: #name,
                dtype: <#dt as ::array_expr::__private::runtime::Element>::DTYPE,
                dims: #dims,
                mutable: #mutable,
            }
        }
    };
    let inputs = k.params.iter().map(|p| operand(&p.name.to_string(), &p.ty, p.mutable));
    let rets: Vec<&TypeDecl> = k.ret.iter().chain(&k.extra_rets).collect();
    let outputs: Vec<TokenStream> = if rets.is_empty() {
        k.params.iter().filter(|p| p.mutable).map(|p| operand(&p.name.to_string(), &p.ty, true)).collect()
    } else {
        let label = |i: usize| if rets.len() == 1 { "out".to_string() } else { format!("out{i}") };
        rets.iter().enumerate().map(|(i, r)| operand(&label(i), r, false)).collect()
    };
    let name = k.name.to_string();
    let konst = format_ident!("{}_SIGNATURE", name.to_uppercase());
    let doc =
        format!(" The operand contract of [`{name}`] (names, dtypes, dims), as generated by `array_expr!`.");
    let vis = &k.vis;
    quote! {
        #[doc = #doc]
        #[allow(dead_code)]
        #vis const #konst: #sig::KernelSignature = #sig::KernelSignature {
            name: #name,
            inputs: &[#(#inputs),*],
            outputs: &[#(#outputs),*],
        };
    }
}

/// The declared outputs of a kernel, labelled `out` (one) or `out0`, `out1`, ...
fn output_decls(rets: &[&TypeDecl]) -> Vec<OutputDecl> {
    rets.iter()
        .enumerate()
        .map(|(i, r)| OutputDecl {
            label: if rets.len() == 1 { "out".into() } else { format!("out{i}") },
            dtype: r.dtype,
            shape: r.shape(),
        })
        .collect()
}

fn expand_kernel(k: &KernelFn) -> TokenStream {
    let mut errors = Errors::default();
    let syms = symbols(&k.params);
    if let Some(ret) = &k.ret {
        check_ret_symbols(ret, &syms, &mut errors);
        if let Some((target, _, _)) = &k.body.assign {
            errors.push(target.span(), diag::RESULT_AND_UPDATE);
        }
    }
    let typed = typecheck(&k.params, &k.body, k.policy, &mut errors);
    let declared = k.ret.iter().count() + k.extra_rets.len();
    let returned = 1 + k.body.extra_results.len();
    if k.ret.is_some() && declared != returned {
        errors.push(
            k.name.span(),
            format!("`{}` declares {declared} output(s) but its body gives {returned}", k.name),
        );
    } else if let (Some(t), Some(ret)) = (&typed, &k.ret) {
        check_result(ret, t, t.root, &mut errors);
        for (r, root) in k.extra_rets.iter().zip(&t.extra_roots) {
            check_result(r, t, *root, &mut errors);
        }
    }
    for r in &k.extra_rets {
        check_ret_symbols(r, &syms, &mut errors);
    }
    let typed = match (errors.propagate(), typed) {
        (Ok(()), Some(t)) => t,
        (Err(e), _) => return fallback::kernel(k, e),
        (Ok(()), None) => {
            return fallback::kernel(
                k,
                syn::Error::new(
                    Span::call_site(),
                    "internal error: typing failed without an error; please report",
                ),
            )
        }
    };
    match &k.ret {
        Some(ret) if !k.extra_rets.is_empty() => emit_multi_kernel(k, ret, &typed, &syms),
        Some(ret) => emit_kernel(k, ret, &typed, &syms),
        None => emit_inplace_kernel(k, &typed, &syms),
    }
}

/// A kernel's counters (a `static` named after the kernel's path) and the scope that counts
/// one call: first statements of every generated kernel function (see `diagnostics`).
fn count_call(name: TokenStream) -> TokenStream {
    let d = quote!(::array_expr::__private::runtime::diagnostics);
    quote! {
        static __AE_KERNEL: #d::Kernel = #d::Kernel::new(#name);
        let __ae_scope = #d::KernelScope::enter(&__AE_KERNEL);
    }
}

/// `count_call` for a named kernel: `module::path::name`.
fn count_kernel(name: &syn::Ident) -> TokenStream {
    let name = name.to_string();
    count_call(quote!(::core::concat!(::core::module_path!(), "::", #name)))
}

fn emit_inplace_kernel(k: &KernelFn, typed: &Typed, syms: &[String]) -> TokenStream {
    let (attrs, vis, name) = (&k.attrs, &k.vis, &k.name);
    let params = kernel_params(k);
    let bind = bind_params(&k.params, syms, false);
    let (body, records) = body_into(typed, &k.params, syms, quote!(__ae_out.view_mut()));
    let target = typed.inplace.and_then(|p| k.params.get(p));
    let outputs: Vec<OutputDecl> = target
        .map(|p| OutputDecl { label: p.name.to_string(), dtype: p.ty.dtype, shape: p.ty.shape() })
        .into_iter()
        .collect();
    let (plan, plan_doc) = plan_items(k, typed, &records, &outputs);
    let count = count_kernel(name);
    quote! {
        #plan
        #(#attrs)*
        #plan_doc
        #[allow(clippy::all, unused_variables, unused_mut)]
        #vis fn #name<'__ae, '__ae_o>(#(#params),*) -> ::core::result::Result<(), ::array_expr::Error> {
            #count
            #bind
            #body
            ::core::result::Result::Ok(())
        }
    }
}

fn kernel_params(k: &KernelFn) -> Vec<TokenStream> {
    let rt = quote!(::array_expr::__private);
    k.params
        .iter()
        .map(|p| {
            let name = &p.name;
            let ty = dtype_tokens(p.ty.dtype);
            match &p.ty.dims {
                Some(d) if p.mutable => {
                    let r = d.len();
                    quote!(#name: impl #rt::OutOperand<'__ae_o, #ty, #r>)
                }
                Some(d) => {
                    let r = d.len();
                    quote!(#name: impl #rt::Operand<'__ae, #ty, #r>)
                }
                None => quote!(#name: #ty),
            }
        })
        .collect()
}

pub(crate) fn ret_type(ret: &TypeDecl) -> TokenStream {
    let ty = dtype_tokens(ret.dtype);
    match &ret.dims {
        Some(d) => {
            let r = d.len();
            quote!(::array_expr::Array<#ty, #r>)
        }
        None => quote!(#ty),
    }
}

/// `let x = Operand::into_operand(x);` for every array parameter (no binding).
fn convert_params(params: &[Param]) -> TokenStream {
    let rt = quote!(::array_expr::__private);
    let items = params.iter().filter_map(|p| {
        let (name, ty) = (&p.name, dtype_tokens(p.ty.dtype));
        let rank = p.ty.dims.as_ref()?.len();
        Some(quote!(let #name = <_ as #rt::Operand<'_, #ty, #rank>>::into_operand(#name);))
    });
    quote!(#(#items)*)
}

/// A single-output kernel: a private, non-generic `__ae_impl_name` over views holds the passes;
/// `name` (allocating) and `name_into` are thin generic wrappers, so the loop code is compiled
/// once per kernel whatever argument types callers use.
fn emit_kernel(k: &KernelFn, ret: &TypeDecl, typed: &Typed, syms: &[String]) -> TokenStream {
    let rt = quote!(::array_expr::__private);
    let (attrs, vis, name) = (&k.attrs, &k.vis, &k.name);
    let into = format_ident!("{}_into", name);
    let imp = format_ident!("__ae_impl_{}", name);
    let params = kernel_params(k);
    let args: Vec<_> = k.params.iter().map(|p| &p.name).collect();
    let view_params = k.params.iter().map(|p| {
        let (n, t) = (&p.name, dtype_tokens(p.ty.dtype));
        match &p.ty.dims {
            Some(d) => {
                let r = d.len();
                quote!(#n: #rt::runtime::ArrayView<'__ae, #t, #r>)
            }
            None => quote!(#n: #t),
        }
    });
    let ty = dtype_tokens(ret.dtype);
    let rank = ret.dims.as_ref().map_or(0, |d| d.len());
    let ret_t = ret_type(ret);
    let shape_e = Emitter::new(&typed.ir, &k.params, syms).shape_expr(&ret.shape());
    let bind = bind_params(&k.params, syms, false);
    let convert = convert_params(&k.params);
    let spec = dim_spec(ret.dims.iter().flatten().map(|(d, _)| d), syms);
    let (body, records) = body_into(typed, &k.params, syms, quote!(__ae_out.view_mut()));
    let (plan, plan_doc) = plan_items(k, typed, &records, &output_decls(&[ret]));
    let doc_into = format!(" Like [`{name}`], writing the result into `out` (no allocation).\n\n # Errors\n\n As [`{name}`], and when `out`'s shape is not the result's.");
    let result = if ret.dims.is_some() {
        quote!(::core::result::Result::Ok(__ae_out))
    } else {
        quote!(__ae_out.as_slice_memory_order().first().copied().ok_or_else(|| #rt::empty_reduction("result")))
    };
    let count = count_kernel(name);
    let into_fn = ret.dims.is_some().then(|| {
        quote! {
            #[doc = #doc_into]
            #[allow(clippy::all, unused_variables, unused_mut, dead_code)]
            #vis fn #into<'__ae, '__ae_o>(#(#params,)* out: impl #rt::OutOperand<'__ae_o, #ty, #rank>) -> ::core::result::Result<(), ::array_expr::Error> {
                #count
                #convert
                #imp(#(#args,)* #rt::OutOperand::into_out(out))
            }
        }
    });
    quote! {
        #plan
        #[doc(hidden)]
        #[allow(clippy::all, unused_variables, unused_mut, dead_code, non_snake_case)]
        fn #imp<'__ae, '__ae_o>(#(#view_params,)* mut __ae_out: #rt::runtime::ArrayViewMut<'__ae_o, #ty, #rank>) -> ::core::result::Result<(), ::array_expr::Error> {
            #bind
            __ae_b.bind_all("out", &#spec, &__ae_out.shape())?;
            #body
            ::core::result::Result::Ok(())
        }
        #(#attrs)*
        #plan_doc
        #[allow(clippy::all, unused_variables, unused_mut)]
        #vis fn #name<'__ae>(#(#params),*) -> ::core::result::Result<#ret_t, ::array_expr::Error> {
            #count
            #bind
            let (mut __ae_out, __ae_fresh) = #rt::runtime::diagnostics::alloc_output::<#ty, #rank>(#shape_e)?;
            #imp(#(#args,)* __ae_out.view_mut())?;
            #result
        }
        #into_fn
    }
}

/// A kernel with several outputs: `name(..) -> Result<(A, B, ..)>` and, when every output is
/// an array, `name_into(.., out0, out1, ..)`. Reductions they share are computed once.
fn emit_multi_kernel(k: &KernelFn, ret: &TypeDecl, typed: &Typed, syms: &[String]) -> TokenStream {
    let rt = quote!(::array_expr::__private);
    let (attrs, vis, name) = (&k.attrs, &k.vis, &k.name);
    let rets: Vec<&TypeDecl> = std::iter::once(ret).chain(&k.extra_rets).collect();
    let roots: Vec<NodeId> = std::iter::once(typed.root).chain(typed.extra_roots.iter().copied()).collect();
    let params = kernel_params(k);
    let bind = bind_params(&k.params, syms, false);
    let em = Emitter::new(&typed.ir, &k.params, syms);
    let outs: Vec<_> = (0..rets.len()).map(|i| format_ident!("__ae_out{}", i)).collect();
    let allocs = rets.iter().zip(&outs).map(|(r, o)| {
        let ty = dtype_tokens(r.dtype);
        let rank = r.dims.as_ref().map_or(0, |d| d.len());
        let shape_e = em.shape_expr(&r.shape());
        let fresh = format_ident!("{}_fresh", o);
        quote!(let (mut #o, #fresh) = #rt::runtime::diagnostics::alloc_output::<#ty, #rank>(#shape_e)?;)
    });
    let (body, records) = body_into_many(
        typed,
        &k.params,
        syms,
        roots.iter().zip(&outs).map(|(r, o)| (*r, quote!(#o.view_mut()))).collect(),
    );
    let (plan, plan_doc) = plan_items(k, typed, &records, &output_decls(&rets));
    let values = rets.iter().zip(&outs).map(|(r, o)| match r.dims {
        Some(_) => quote!(#o),
        None => {
            quote!(#o.as_slice_memory_order().first().copied().ok_or_else(|| #rt::empty_reduction("result"))?)
        }
    });
    let types = rets.iter().map(|r| ret_type(r));
    let all_arrays = rets.iter().all(|r| r.dims.is_some());
    let count = count_kernel(name);
    let into_fn = all_arrays.then(|| {
        let into = format_ident!("{}_into", name);
        let out_params = rets.iter().zip(&outs).map(|(r, o)| {
            let ty = dtype_tokens(r.dtype);
            let rank = r.dims.as_ref().map_or(0, |d| d.len());
            quote!(#o: impl #rt::OutOperand<'__ae_o, #ty, #rank>)
        });
        let binds = rets.iter().zip(&outs).enumerate().map(|(i, (r, o))| {
            let spec = dim_spec(r.dims.iter().flatten().map(|(d, _)| d), syms);
            let label = format!("out{i}");
            quote! {
                let mut #o = #rt::OutOperand::into_out(#o);
                __ae_b.bind_all(#label, &#spec, &#o.shape())?;
            }
        });
        let (body, _) = body_into_many(typed, &k.params, syms, roots.iter().zip(&outs).map(|(r, o)| (*r, quote!(#o.view_mut()))).collect());
        let doc = format!(" Like [`{name}`], writing the outputs into `out0`, `out1`, ... (no allocation).");
        quote! {
            #[doc = #doc]
            #[allow(clippy::all, unused_variables, unused_mut, dead_code)]
            #vis fn #into<'__ae, '__ae_o>(#(#params,)* #(#out_params),*) -> ::core::result::Result<(), ::array_expr::Error> {
                #count
                #bind
                #(#binds)*
                #body
                ::core::result::Result::Ok(())
            }
        }
    });
    quote! {
        #plan
        #(#attrs)*
        #plan_doc
        #[allow(clippy::all, unused_variables, unused_mut)]
        #vis fn #name<'__ae>(#(#params),*) -> ::core::result::Result<(#(#types),*), ::array_expr::Error> {
            #count
            #bind
            #(#allocs)*
            #body
            ::core::result::Result::Ok((#(#values),*))
        }
        #into_fn
    }
}

fn expand_inline(inl: &Inline) -> TokenStream {
    let mut errors = Errors::default();
    let syms = symbols(&inl.params);
    let typed = typecheck(&inl.params, &inl.body, crate::dtype::Policy::Strict, &mut errors);
    let typed = match (errors.propagate(), typed) {
        (Ok(()), Some(t)) => t,
        (Err(e), _) => return fallback::inline(e),
        (Ok(()), None) => {
            return fallback::inline(syn::Error::new(Span::call_site(), "internal error; please report"))
        }
    };
    let Some(root) = typed.ir.get(typed.root).cloned() else {
        return fallback::inline(syn::Error::new(
            Span::call_site(),
            "internal error: no root; please report",
        ));
    };
    let rt = quote!(::array_expr::__private);
    let ty = dtype_tokens(root.dtype);
    let rank = root.shape.len();
    let shape_e = Emitter::new(&typed.ir, &inl.params, &syms).shape_expr(&root.shape);
    let bind = bind_params(&inl.params, &syms, true);
    let (body, _) = body_into(&typed, &inl.params, &syms, quote!(__ae_out.view_mut()));
    let count = count_call(quote!(::core::concat!(::core::module_path!(), "::inline@", ::core::line!())));
    let (ret_t, result) = if rank == 0 {
        (
            quote!(#ty),
            quote!(__ae_out.as_slice_memory_order().first().copied().ok_or_else(|| #rt::empty_reduction("result"))),
        )
    } else {
        (quote!(::array_expr::Array<#ty, #rank>), quote!(::core::result::Result::Ok(__ae_out)))
    };
    quote! {
        {
            #[allow(clippy::all)]
            let __ae_f = || -> ::core::result::Result<#ret_t, ::array_expr::Error> {
            #count
            #bind
            let (mut __ae_out, __ae_fresh) = #rt::runtime::diagnostics::alloc_output::<#ty, #rank>(#shape_e)?;
            #body
            #result
        };
            __ae_f()
        }
    }
}

#[cfg(test)]
mod signature_tests {
    use super::expand;

    fn expanded(src: &str) -> String {
        let tokens: proc_macro2::TokenStream = src.parse().unwrap_or_default();
        expand(tokens).to_string().split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn operands_broadcast_along_the_last_axis_get_a_splat_kernel() {
        // x[:, newaxis] is input 1 of the pass (mask bit 1), y (a row vector, input 0) is read
        // along the runs
        let outer = expanded("fn o(x: f32[n], y: f32[m]) -> f32[n, m] { x[:, newaxis] * y }");
        assert!(
            outer.contains("driver :: zip2_splat (& mut __ae_d , & __ae_op0 , & __ae_op1 , 0usize ,"),
            "{outer}"
        );
        assert!(outer.contains(", 2u32 , & | __ae_o , __ae_s , __ae_i0 , __ae_i1 |"), "{outer}");
        assert!(outer.contains("let __ae_i0 = & __ae_i0 [.. __ae_n] ; let :: core :: option :: Option :: Some (& __ae_i1) = __ae_i1 . first () else { return } ;"), "{outer}");
        // no column operand, an in-place update, or every operand a column: the one kernel
        for src in [
            "fn p(x: f32[n, m], y: f32[m]) -> f32[n, m] { x * y }",
            "fn q(mut a: f32[n, m], x: f32[n, 1]) { a += x }",
            "fn r(x: f32[n, 1], c: f32[n, 1]) -> f32[n, 1] { x * c }",
        ] {
            let out = expanded(src);
            assert!(!out.contains("_splat"), "{src}: {out}");
        }
    }

    #[test]
    fn passes_beside_row_vectors_fetch_their_streamed_inputs_ahead() {
        // x streams beside the row vectors w and b: its loop fetches it ahead, on the
        // streaming path only; neither w and b (in cache) nor passes without a row vector do
        let affine = expanded("fn a(x: f32[n, m], w: f32[m], b: f32[m]) -> f32[n, m] { x * w + b }");
        assert!(affine.contains("let __ae_pf = __ae_s . is_some () ;"), "{affine}");
        assert_eq!(affine.matches("mem :: prefetch_l2 (").count(), 1, "{affine}");
        assert!(affine.contains("mem :: prefetch_l2 (__ae_i0 ,"), "{affine}");
        for src in [
            "fn t(x: f32[n], y: f32[n]) -> f32[n] { x + y * 2.0 }",
            "fn m(x: f32[n, m], y: f32[n, m]) -> f32[n, m] { x * y }",
            "fn o(x: f32[n], y: f32[m]) -> f32[n, m] { x[:, newaxis] * y }",
            "fn q(mut x: f32[n, m], w: f32[m]) { x *= w }",
        ] {
            let out = expanded(src);
            assert!(!out.contains("prefetch_l2"), "{src}: {out}");
        }
    }

    #[test]
    fn reductions_of_computed_values_fold_them_as_they_are_computed() {
        // (x - y)^2 is computed vector by vector into the block's f64 sum: no scratch buffer
        // is filled and summed afterwards
        let ssd = expanded("fn d(x: f32[n], y: f32[n]) -> f32 { sum((x - y) * (x - y)) }");
        assert!(ssd.contains("as :: array_expr :: __private :: BlockSum < f64 >> :: block_sum_map (__ae_n , __ae_full , __ae_part)"), "{ssd}");
        assert!(!ssd.contains(">> :: block_sum (&"), "{ssd}");
        // so do min and max, through the kernels crate's reduce_map
        let cheb = expanded("fn c(x: f64[n], y: f64[n]) -> f64 { max(abs(x - y)) }");
        assert!(cheb.contains("reduce :: reduce_map :: < f64 , _ > (:: array_expr :: __private :: kernels :: reduce :: Max , __ae_n , __ae_full , __ae_part)"), "{cheb}");
        // a reduction of an operand as it is reads the operand's slice
        for src in ["fn s(x: f32[n]) -> f32 { sum(x) }", "fn m(x: f32[n]) -> f32 { max(x) }"] {
            let out = expanded(src);
            assert!(!out.contains("block_sum_map") && !out.contains("reduce_map"), "{src}: {out}");
        }
    }

    #[test]
    fn every_named_kernel_gets_its_signature_constant() {
        let out = expanded("pub fn affine(x: f32[n, 3], s: f32, acc: f64[n]) -> f32[n, 3] { x * s + acc[:, newaxis] as f32 }");
        assert!(out.contains("pub const AFFINE_SIGNATURE :"), "{out}");
        let sig = ":: array_expr :: __private :: runtime :: interop :: signature";
        let x = format!(
            "{sig} :: OperandSignature {{ name : \"x\" , dtype : < f32 as :: array_expr :: __private :: runtime :: Element > :: DTYPE , dims : :: core :: option :: Option :: Some (& [{sig} :: Dim :: Sym (\"n\") , {sig} :: Dim :: Lit (3usize)]) , mutable : false , }}"
        );
        assert!(out.contains(&x), "{out}");
        assert!(out.contains("name : \"s\" , dtype : < f32 as"), "{out}");
        assert!(out.contains("dims : :: core :: option :: Option :: None , mutable : false"), "{out}");
        assert!(out.contains("name : \"acc\" , dtype : < f64 as"), "{out}");
        assert!(out.contains(&format!("outputs : & [{sig} :: OperandSignature {{ name : \"out\"")), "{out}");
    }

    #[test]
    fn several_outputs_are_labelled_and_in_place_kernels_list_the_updated_operand() {
        let multi = expanded("fn s(x: f64[n]) -> (f64[n], f64) { (x, max(x)) }");
        assert!(multi.contains("const S_SIGNATURE"), "{multi}");
        assert!(multi.contains("name : \"out0\"") && multi.contains("name : \"out1\""), "{multi}");
        let inplace = expanded("fn q(mut y: f64[n], x: f64[n]) { y += x }");
        let outputs = inplace.split("outputs :").nth(1).unwrap_or_default();
        assert!(outputs.starts_with(" & [:: array_expr"), "{inplace}");
        assert!(outputs.contains("name : \"y\"") && outputs.contains("mutable : true"), "{inplace}");
        assert!(!outputs.contains("name : \"x\""), "{inplace}");
    }
}
