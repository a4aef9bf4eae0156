namespace KafkaMl.Tests.Scripting;

public sealed class ModelScriptSandboxSpecs(CompilerFixture fixture) : IClassFixture<CompilerFixture>
{
    private readonly ModelScriptCompiler compiler = fixture.Compiler;

    /// <summary>Statement on line 2 · what the diagnostic must name · why · the column it must point at.</summary>
    public static TheoryData<string, string, string, int> ForbiddenApis => new()
    {
        // file system
        { """var text = System.IO.File.ReadAllText("/etc/passwd");""", "System.IO.File.ReadAllText", "file system access", 12 },
        { "var stream = new System.IO.MemoryStream();", "System.IO.MemoryStream", "file system access", 14 },
        // network
        { "var client = new System.Net.Http.HttpClient();", "HttpClient", "network access", 14 },
        // processes
        { """System.Diagnostics.Process.Start("sh");""", "Process", "process control", 1 },
        // reflection
        { "var assembly = typeof(Tensor).Assembly;", "System.Type.Assembly", "reflection", 16 },
        { """var method = zeros(1).GetType().GetMethod("ToString");""", "object.GetType()", "reflection", 14 },
        { "var instance = Activator.CreateInstance<Random>();", "System.Activator.CreateInstance", "reflection", 16 },
        // interop
        { "var memory = System.Runtime.InteropServices.Marshal.AllocHGlobal(1024);", "System.Runtime.InteropServices.Marshal.AllocHGlobal", "native interop", 14 },
        // environment
        { """var home = Environment.GetEnvironmentVariable("HOME");""", "System.Environment.GetEnvironmentVariable", "environment access", 12 },
        // threading
        { "new System.Threading.Thread(() => { }).Start();", "System.Threading.Thread", "threading", 1 },
        { "System.Threading.Tasks.Task.Run(() => 1);", "System.Threading.Tasks.Task.Run", "threading", 1 },
        // runtime control and console
        { "GC.Collect();", "System.GC.Collect", "garbage collector control", 1 },
        { """Console.WriteLine("hello");""", "Console", "console I/O", 1 },
        { "dynamic value = 1;", "dynamic", "dynamic binding", 1 },
        // TorchSharp's own file APIs
        { """var weights = torch.load("/tmp/weights.dat");""", "TorchSharp.torch.load", "file access", 15 },
        { """torch.save(zeros(1), "/tmp/weights.dat");""", "TorchSharp.torch.save", "file access", 1 },
        { """Linear(3, 2).save("/tmp/model.dat");""", "TorchSharp.torch.nn.Module.save", "file access", 1 },
        { """var loaded = Linear(3, 2).load("/tmp/model.dat");""", "TorchSharp.torch.nn.Module.load", "file access", 14 },
        { """var mapped = from_file("/tmp/weights.dat");""", "TorchSharp.torch.from_file", "file access", 14 },
        { """var log = torch.utils.tensorboard.SummaryWriter("/tmp/log");""", "SummaryWriter", "file access", 11 },
    };

    [Theory]
    [MemberData(nameof(ForbiddenApis))]
    public async Task A_forbidden_API_is_rejected_with_a_diagnostic_naming_it_at_its_position(
        string statement, string name, string category, int column)
    {
        var compilation = await compiler.CompileAsync(ModelScripts.OnLineTwo(statement));

        Assert.False(compilation.Success);
        var naming = compilation.Errors.Where(d => d.Id == ScriptDiagnosticIds.ForbiddenApi && d.Message.Contains(name)).ToList();
        Assert.NotEmpty(naming);
        var diagnostic = naming.OrderBy(d => d.Line).ThenBy(d => d.Column).First();
        Assert.Contains(category, diagnostic.Message);
        Assert.Contains("not allowed in a model script", diagnostic.Message);
        Assert.Equal((2, column), (diagnostic.Line, diagnostic.Column));
    }

    [Theory]
    [InlineData("#r \"System.Net.Http.dll\"", "#r")]
    [InlineData("#load \"other.csx\"", "#load")]
    public async Task Directives_that_load_code_or_files_are_rejected(string directive, string name)
    {
        var compilation = await compiler.CompileAsync($"{directive}\n{ModelScripts.AnyModel}");

        var diagnostic = Assert.Single(compilation.Errors, d => d.Id == ScriptDiagnosticIds.ForbiddenDirective);
        Assert.Contains($"'{name}'", diagnostic.Message);
        Assert.Equal((1, 1), (diagnostic.Line, diagnostic.Column));
    }

    [Fact]
    public async Task Unsafe_code_is_rejected()
    {
        var compilation = await compiler.CompileAsync(ModelScripts.OnLineTwo("unsafe { int x = 1; int* p = &x; }"));

        var diagnostic = Assert.Single(compilation.Errors, d => d.Id == ScriptDiagnosticIds.ForbiddenConstruct && d.Message.Contains("'unsafe'"));
        Assert.Equal((2, 1), (diagnostic.Line, diagnostic.Column));
        Assert.Contains(compilation.Errors, d => d.Message.Contains("pointer"));
    }

    [Fact]
    public async Task A_native_function_declaration_is_rejected()
    {
        var compilation = await compiler.CompileAsync(ModelScripts.OnLineTwo(
            """[System.Runtime.InteropServices.DllImport("libc")] static extern int getpid();"""));

        Assert.Contains(compilation.Errors, d => d.Id == ScriptDiagnosticIds.ForbiddenApi && d.Message.Contains("DllImportAttribute")
            && d.Message.Contains("native interop") && (d.Line, d.Column) == (2, 2));
        Assert.Contains(compilation.Errors, d => d.Id == ScriptDiagnosticIds.ForbiddenConstruct && d.Message.Contains("'extern'"));
    }

    [Theory]
    [InlineData("using static System.IO.File;\nvar text = ReadAllText(\"/etc/passwd\");")]
    [InlineData("using Disk = System.IO.File;\nvar text = Disk.ReadAllText(\"/etc/passwd\");")]
    [InlineData("Func<string, string> read = System.IO.File.ReadAllText;")]
    public async Task Forbidden_APIs_are_rejected_however_they_are_named(string statements)
    {
        var compilation = await compiler.CompileAsync($"{statements}\n{ModelScripts.AnyModel}");

        Assert.Contains(compilation.Errors, d => d.Id == ScriptDiagnosticIds.ForbiddenApi && d.Message.Contains("System.IO.File"));
    }

    [Theory]
    [InlineData("Func<int, int> twice = x => 2 * x; var method = twice.Method;", "System.Delegate.Method")]
    [InlineData("var handle = zeros(3).Handle;", "TorchSharp.torch.Tensor.Handle")]
    [InlineData("var loader = torch.utils.data.DataLoader(null!, 32);", "TorchSharp.torch.utils.data")]
    [InlineData("""var module = torch.jit.load("/tmp/model.pt");""", "TorchSharp.torch.jit")]
    [InlineData("torch.set_num_threads(64);", "TorchSharp.torch.set_num_threads")]
    [InlineData("var compiler = new ModelScriptCompiler();", "KafkaMl.Core.Scripting.ModelScriptCompiler")]
    [InlineData("record Layer(int Size) { public object Contract => EqualityContract; }", "System.Type")]
    [InlineData("var unsafeSize = System.Runtime.CompilerServices.Unsafe.SizeOf<int>();", "System.Runtime.CompilerServices.Unsafe")]
    public async Task Indirect_escapes_through_allowed_types_are_rejected(string statement, string name)
    {
        var compilation = await compiler.CompileAsync(ModelScripts.OnLineTwo(statement));

        Assert.Contains(compilation.Errors, d => d.Id == ScriptDiagnosticIds.ForbiddenApi && d.Message.Contains(name));
    }

    [Theory]
    [InlineData("var sizes = new List<int> { 3, 8, 2 }; var pairs = sizes.Zip(sizes.Skip(1)).Select((p, i) => ($\"fc{i}\", (Module<Tensor, Tensor>)Linear(p.First, p.Second))).ToList(); var net = Sequential(pairs);")]
    [InlineData("var width = (int)Math.Round(Math.Sqrt(64.0)); var ratio = MathF.Max(0.1f, 0.2f); var rng = new Random(42).Next(1, 4);")]
    [InlineData("var x = ones(2, 3); var column = x[.., 1]; var y = functional.relu(x).mean(); float value = y.item<float>(); var shape = x.shape;")]
    [InlineData("var conv = Conv2d(1, 8, 3); var pool = MaxPool2d(2); var norm = BatchNorm2d(8); var lstm = LSTM(10, 20); init.xavier_uniform_(conv.weight);")]
    [InlineData("var names = new Dictionary<string, int> { [\"fc1\"] = 4 }; var seen = new HashSet<string>(names.Keys); var text = string.Join(\",\", seen);")]
    [InlineData("if (3 <= 0) throw new ArgumentOutOfRangeException(\"features\"); var tuple = (name: \"fc1\", size: 4);")]
    public async Task Everyday_model_code_passes_the_sandbox(string statements)
    {
        var compilation = await compiler.CompileAsync(ModelScripts.OnLineTwo(statements));

        Assert.True(compilation.Success, compilation.ErrorSummary);
    }

    [Fact]
    public async Task A_loop_is_not_a_sandbox_violation_the_time_limit_handles_it()
    {
        var compilation = await compiler.CompileAsync(ModelScripts.OnLineTwo("while (true) { }"));

        Assert.True(compilation.Success, compilation.ErrorSummary);
    }
}
