using KafkaMl.Tests.Jobs;

namespace KafkaMl.Tests.Apis;

/// <summary>The models API over a fresh database, with the script checks of a real compiler and a stub build.</summary>
public abstract class ModelsApiSpecBase : DatabaseSpecBase
{
    /// <summary>Shared so its cache spares the tests recompiling the same scripts.</summary>
    private static readonly ModelScriptCompiler Compiler = new();

    private readonly ModelValidator validator;

    protected ModelsApiSpecBase() => validator = new ModelValidator(Compiler, BuildChecker);

    protected StubBuildChecker BuildChecker { get; } = new();

    /// <summary>The service the handlers call, over contexts like <paramref name="db"/>.</summary>
    protected ModelService Models(KafkaMlDbContext db) => new(new ContextsLike(db), validator);

    protected ModelService Models() => new(new TestContexts(Database), validator);

    /// <summary>Stands in for the model-check child process (the real one: <see cref="OrchestrationPortalSpecs"/>).</summary>
    protected sealed class StubBuildChecker : IModelBuildChecker
    {
        private int calls;

        public ModelCheckReport Report { get; set; } = new() { Ok = true, Parameters = 26 };

        public int Calls => calls;

        public IReadOnlyList<long>? LastInputShape { get; private set; }

        public Task<ModelCheckReport> CheckAsync(string code, IReadOnlyList<long>? inputShape, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref calls);
            LastInputShape = inputShape;
            return Task.FromResult(Report);
        }
    }
}
