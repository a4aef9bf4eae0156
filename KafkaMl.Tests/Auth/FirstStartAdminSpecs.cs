namespace KafkaMl.Tests.Auth;

/// <summary>The first start of the real executable in accounts mode: a one-time admin password, printed once.</summary>
public sealed class FirstStartAdminSpecs : IDisposable
{
    private const string PasswordLabel = "One-time password: ";
    private readonly string dataDir = Directory.CreateTempSubdirectory("kafkaml-first-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
    }

    private KafkaMlProcess StartPortal() => KafkaMlProcess.Start(
        ["--urls=http://127.0.0.1:0", $"--KafkaMl:DataDir={dataDir}", "--KafkaMl:Kafka:EmbeddedPort=0"],
        new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["KafkaMl__Auth__Mode"] = "accounts",
            ["KafkaMl__Auth__AdminPassword"] = null,
            ["KafkaMl__Kafka__BootstrapServers"] = null,
        });

    private static async Task<Uri> ListeningAsync(KafkaMlProcess portal)
    {
        var line = await portal.WaitForLineAsync(l => l.Contains("KafkaMl portal listening on", StringComparison.Ordinal), Eventually.Patience);
        return new Uri(line[(line.IndexOf("http://", StringComparison.Ordinal))..].Trim());
    }

    [Fact]
    public async Task The_first_start_prints_a_working_one_time_admin_password_once_and_a_restart_prints_none()
    {
        string password;
        using (var first = StartPortal())
        {
            var url = await ListeningAsync(first);
            var line = await first.WaitForLineAsync(l => l.StartsWith(PasswordLabel, StringComparison.Ordinal), Eventually.Patience, OutputStream.Stdout);
            password = line[PasswordLabel.Length..].Trim();

            using var browser = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = url };
            using var signedIn = await PortalSignIn.PostLoginAsync(browser, "admin", password);
            Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/admin/users")).StatusCode);

            Assert.Equal(1, first.Transcript.Split(password).Length - 1); // the notice only, in no log line
            Assert.Contains(first.StdoutLines, l => l.Contains("one-time password, printed once on the console", StringComparison.Ordinal));
            Assert.Equal(0, await first.StopAsync(TimeSpan.FromSeconds(30)));
        }

        using var second = StartPortal();
        await ListeningAsync(second);

        Assert.DoesNotContain(second.StdoutLines, l => l.StartsWith(PasswordLabel, StringComparison.Ordinal));
        Assert.DoesNotContain(password, second.Transcript);
    }
}
