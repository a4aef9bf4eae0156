using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace KafkaMl.Core.Scripting;

/// <summary>
/// Static analysis of a model script against <see cref="ModelScriptAllowList"/>: every name, member access,
/// invocation, creation, attribute and expression type is resolved with the semantic model and checked; forbidden
/// directives (<c>#r</c>, <c>#load</c>) and constructs (<c>unsafe</c>, pointers, <c>extern</c>, <c>stackalloc</c>,
/// <c>__makeref</c>, finalizers, <c>lock</c>) are rejected from the syntax. Each rejection is a
/// <see cref="ScriptDiagnostic"/> at the offending node that names the symbol and why it is forbidden.
/// </summary>
/// <remarks>
/// The script itself is never run here. Analysis is iterative (no recursion), so a deeply nested script cannot
/// exhaust the stack of the process that checks it.
/// </remarks>
public static class ModelScriptSandbox
{
    /// <summary>Finds everything in <paramref name="tree"/> that a model script may not use.</summary>
    public static IReadOnlyList<ScriptDiagnostic> Analyze(SyntaxTree tree, SemanticModel model, CancellationToken cancellationToken)
    {
        var diagnostics = new List<ScriptDiagnostic>();
        var root = tree.GetRoot(cancellationToken);

        foreach (var directive in root.DescendantTrivia(descendIntoTrivia: true).Select(t => t.GetStructure()).OfType<DirectiveTriviaSyntax>())
        {
            var name = directive switch
            {
                ReferenceDirectiveTriviaSyntax => "#r",
                LoadDirectiveTriviaSyntax => "#load",
                _ => null,
            };
            if (name is not null)
                diagnostics.Add(ScriptDiagnostic.At(tree, directive.Span, ScriptDiagnosticIds.ForbiddenDirective,
                    $"'{name}' directives are not allowed in a model script (it may not load assemblies or other files)."));
        }

        foreach (var token in root.DescendantTokens())
        {
            var construct = token.Kind() switch
            {
                SyntaxKind.UnsafeKeyword => "'unsafe' code (native interop)",
                SyntaxKind.ExternKeyword => "'extern' declarations (native interop)",
                SyntaxKind.VolatileKeyword => "'volatile' fields (threading)",
                _ => null,
            };
            if (construct is not null)
                diagnostics.Add(ScriptDiagnostic.At(tree, token.Span, ScriptDiagnosticIds.ForbiddenConstruct,
                    $"Not allowed in a model script: {construct}."));
        }

        // Depth-first, parents before children. A child is not reported again for what its ancestor was
        // reported for (System.IO.File.ReadAllText(...) is one offence, not three).
        var pending = new Stack<(SyntaxNode Node, Reported? Reported)>();
        pending.Push((root, null));
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (node, reported) = pending.Pop();
            var offence = ConstructOffence(node) ?? SemanticOffence(node, model, cancellationToken);
            if (offence is not null && !Reported.Contains(reported, offence.Key))
            {
                diagnostics.Add(ScriptDiagnostic.At(tree, offence.Span ?? node.Span, offence.Id, offence.Message));
                reported = new Reported(offence.Key, reported);
            }
            var children = node.ChildNodes().ToList();
            for (var i = children.Count - 1; i >= 0; i--) pending.Push((children[i], reported));
        }

        return diagnostics
            .DistinctBy(d => (d.Line, d.Column, d.Message))
            .OrderBy(d => d.Line).ThenBy(d => d.Column)
            .ToList();
    }

    /// <summary>What an ancestor was reported for: a tiny immutable list.</summary>
    private sealed record Reported(string Key, Reported? Next)
    {
        public static bool Contains(Reported? list, string key)
        {
            for (var r = list; r is not null; r = r.Next)
                if (r.Key == key) return true;
            return false;
        }
    }

    private sealed record Offence(string Key, string Message, string Id = ScriptDiagnosticIds.ForbiddenApi,
        Microsoft.CodeAnalysis.Text.TextSpan? Span = null)
    {
        /// <summary>"'<paramref name="subject"/>' is not allowed in a model script (<paramref name="reason"/>)."</summary>
        public static Offence Forbidden(string key, string subject, string reason) =>
            new(key, $"'{subject}' is not allowed in a model script ({reason}).");
    }

    /// <summary>Why a type is off the list: the key it is reported under, its name and the reason.</summary>
    private sealed record TypeProblem(string Key, string Subject, string Reason)
    {
        public Offence ToOffence() => Offence.Forbidden(Key, Subject, Reason);

        /// <summary>The offence of a member that is forbidden because of this type.</summary>
        public Offence Of(string member) => Offence.Forbidden(Key, member, $"{Reason}: {Subject}");
    }

    private static Offence? ConstructOffence(SyntaxNode node)
    {
        var construct = node switch
        {
            PointerTypeSyntax => "pointer types (unsafe code)",
            FunctionPointerTypeSyntax => "function pointers (native interop)",
            FixedStatementSyntax => "'fixed' statements (unsafe code)",
            UnsafeStatementSyntax => null, // reported by its keyword
            StackAllocArrayCreationExpressionSyntax or ImplicitStackAllocArrayCreationExpressionSyntax => "'stackalloc' (unsafe memory)",
            RefTypeExpressionSyntax or RefValueExpressionSyntax or MakeRefExpressionSyntax => "'__makeref', '__reftype' and '__refvalue' (unsafe code)",
            PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.AddressOfExpression } => "taking addresses with '&' (unsafe code)",
            PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PointerIndirectionExpression } => "pointer indirection (unsafe code)",
            MemberAccessExpressionSyntax { RawKind: (int)SyntaxKind.PointerMemberAccessExpression } => "pointer member access (unsafe code)",
            LiteralExpressionSyntax { RawKind: (int)SyntaxKind.ArgListExpression } => "'__arglist' (native interop)",
            DestructorDeclarationSyntax => "finalizers (garbage collector and threading)",
            LockStatementSyntax => "'lock' statements (threading)",
            ExternAliasDirectiveSyntax => "'extern alias' directives (assembly loading)",
            _ => null,
        };
        return construct is null ? null : new Offence("construct:" + node.Kind(), $"Not allowed in a model script: {construct}.",
            ScriptDiagnosticIds.ForbiddenConstruct,
            node is DestructorDeclarationSyntax d ? d.Identifier.Span : null);
    }

    private static Offence? SemanticOffence(SyntaxNode node, SemanticModel model, CancellationToken cancellationToken)
    {
        if (node is IdentifierNameSyntax { IsVar: true }) return null; // the initializer's type is checked instead

        if (node is ExpressionSyntax or AttributeSyntax or ConstructorInitializerSyntax or PrimaryConstructorBaseTypeSyntax)
        {
            var info = model.GetSymbolInfo(node, cancellationToken);
            if (info.Symbol is { } symbol)
            {
                if (SymbolOffence(symbol) is { } offence) return offence;
            }
            else if (info.CandidateSymbols.IsEmpty)
            {
                // Unresolved (the compiler reports it): say why when it is a well-known forbidden type.
                if (node is SimpleNameSyntax name
                    && ModelScriptAllowList.UnreferencedNames.TryGetValue(name.Identifier.ValueText, out var category))
                    return Unreferenced(name.Identifier.ValueText, category).ToOffence();
            }
            else
            {
                foreach (var candidate in info.CandidateSymbols)
                    if (SymbolOffence(candidate) is { } offence) return offence;
            }
        }
        if (node is ExpressionSyntax expression)
        {
            var type = model.GetTypeInfo(expression, cancellationToken);
            if (type.Type is { } t && TypeOffence(t) is { } byType) return byType;
            if (type.ConvertedType is { } c && TypeOffence(c) is { } byConversion) return byConversion;
        }
        return null;
    }

    private static Offence? SymbolOffence(ISymbol symbol) => symbol switch
    {
        ITypeSymbol type => TypeOffence(type),
        IMethodSymbol method => MethodOffence(method),
        IPropertySymbol property => MemberOffence(property, property.Type, property.Parameters),
        IFieldSymbol field => MemberOffence(field, field.Type, []),
        IEventSymbol @event => MemberOffence(@event, @event.Type, []),
        ILocalSymbol local => TypeOffence(local.Type),
        IParameterSymbol parameter => TypeOffence(parameter.Type),
        IDiscardSymbol discard => TypeOffence(discard.Type),
        IAliasSymbol alias => SymbolOffence(alias.Target),
        _ => null, // namespaces, labels, range variables (their expressions are checked), preprocessor symbols
    };

    private static Offence? TypeOffence(ITypeSymbol type) => TypeProblemOf(type)?.ToOffence();

    private static bool IsInScript(ISymbol symbol) => symbol.Locations.Any(l => l.IsInSource);

    private static Offence? MethodOffence(IMethodSymbol method)
    {
        if (method.MethodKind is MethodKind.AnonymousFunction or MethodKind.LocalFunction || IsInScript(method.OriginalDefinition))
            return null;
        if (MemberOffence(method, method.ReturnType, method.Parameters) is { } offence) return offence;
        foreach (var typeArgument in method.TypeArguments)
            if (TypeProblemOf(typeArgument) is { } problem) return problem.Of(Display(method));
        return null;
    }

    private static Offence? MemberOffence(ISymbol member, ITypeSymbol type, IEnumerable<IParameterSymbol> parameters)
    {
        if (IsInScript(member.OriginalDefinition)) return null;
        var display = Display(member);

        if (member.ContainingType is { } containing && TypeProblemOf(containing) is { } byContainer)
            return byContainer.Of(display);

        for (var m = member; m is not null; m = Overridden(m))
        {
            if (m.ContainingType is { } declaring
                && ModelScriptAllowList.DeniedMembers.TryGetValue((ModelScriptAllowList.MetadataName(declaring), m.Name), out var reason))
                return Offence.Forbidden("member:" + display, display, reason);
        }

        var parameterList = parameters.ToList();
        if (ModelScriptAllowList.NamespaceOf(member).StartsWith("TorchSharp", StringComparison.Ordinal)
            && parameterList.FirstOrDefault(p => p.Type.SpecialType == SpecialType.System_String
                && ModelScriptAllowList.PathParameterNames.Contains(p.Name)) is { } pathParameter)
            return Offence.Forbidden("member:" + display, display, $"TorchSharp file access: its '{pathParameter.Name}' parameter is a path");

        foreach (var signatureType in parameterList.Select(p => p.Type).Prepend(type))
            if (TypeProblemOf(signatureType) is { } bySignature)
                return bySignature.Of(display);
        return null;

        static ISymbol? Overridden(ISymbol s) => s switch
        {
            IMethodSymbol m => m.OverriddenMethod,
            IPropertySymbol p => p.OverriddenProperty,
            _ => null,
        };
    }

    private static string Display(ISymbol symbol) =>
        symbol.OriginalDefinition.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat);

    private static TypeProblem? TypeProblemOf(ITypeSymbol type)
    {
        switch (type)
        {
            case IErrorTypeSymbol error:
                // Unresolved: the compiler reports it; say why well-known forbidden types are missing.
                return ModelScriptAllowList.UnreferencedNames.TryGetValue(error.Name, out var category)
                    ? Unreferenced(error.Name, category)
                    : null;
            case ITypeParameterSymbol:
                return null;
            case IArrayTypeSymbol array:
                return TypeProblemOf(array.ElementType);
            case IPointerTypeSymbol or IFunctionPointerTypeSymbol:
                return new TypeProblem("type:pointer", type.ToDisplayString(), "unsafe code");
            case IDynamicTypeSymbol:
                return new TypeProblem("type:dynamic", "dynamic", "dynamic binding");
            case INamedTypeSymbol named:
                if (IsInScript(named.OriginalDefinition)) return null;
                var display = Display(named);
                if (DeniedTypeReason(named) is { } denied)
                    return new TypeProblem("type:" + display, display, denied);
                var outermost = named.OriginalDefinition;
                while (outermost.ContainingType is { } outer) outermost = outer;
                var name = ModelScriptAllowList.MetadataName(outermost);
                if (!ModelScriptAllowList.IsAllowedName(name, ModelScriptAllowList.NamespaceOf(outermost)))
                    return new TypeProblem("type:" + display, display, ModelScriptAllowList.CategoryOf(name));
                foreach (var argument in named.TypeArguments)
                    if (TypeProblemOf(argument) is { } byArgument) return byArgument;
                return null;
            default:
                return null;
        }
    }

    private static TypeProblem Unreferenced(string name, string category) =>
        new("type:" + name, name, $"{category}; its assembly is not available to model scripts");

    private static string? DeniedTypeReason(INamedTypeSymbol type)
    {
        var ns = ModelScriptAllowList.NamespaceOf(type.OriginalDefinition);
        foreach (var (key, reason) in ModelScriptAllowList.DeniedTypes)
            if (ns == key || ns.StartsWith(key + ".", StringComparison.Ordinal)) return reason;
        for (INamedTypeSymbol? t = type.OriginalDefinition; t is not null; t = t.ContainingType)
            if (ModelScriptAllowList.DeniedTypes.TryGetValue(ModelScriptAllowList.MetadataName(t), out var reason)) return reason;
        return null;
    }
}
