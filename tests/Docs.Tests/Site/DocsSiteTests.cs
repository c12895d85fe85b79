using System.Net;
using System.Text.RegularExpressions;

namespace MoeScratch.Docs.Tests.Site;

/// <summary>
/// Builds the DocFX site of docs/ with warnings as errors (unresolved crefs and broken includes included), then opens
/// its pages in headless Chromium and checks that the front page, a guide page and an API page render with their
/// code. Skips, saying why, where docfx (a local dotnet tool: <c>dotnet tool restore</c>) or Chromium (Debian's
/// <c>chromium</c> package) is missing; .ci/run installs both.
/// </summary>
[NonParallelizable]
public class DocsSiteTests
{
    private string _site = "";
    private string _chromium = "";
    private StaticSite? _server;

    [OneTimeSetUp]
    public void BuildSite()
    {
        _chromium = FindChromium() ?? "";
        if (_chromium.Length == 0)
        {
            Assert.Ignore("Chromium is not installed (no chromium, chromium-browser or google-chrome on PATH); " +
                          "install Debian's package with `apt-get install -y chromium` to run the docs-site tests.");
        }
        var probe = RepoProcess.Run(RepoProcess.DotnetHost, ["tool", "run", "docfx", "--version"], RepoProcess.Root,
                                    TimeSpan.FromMinutes(1));
        if (probe.ExitCode != 0)
        {
            Assert.Ignore("docfx is not available as a local tool; run `dotnet tool restore` in the repository root " +
                          $"(.config/dotnet-tools.json) to run the docs-site tests. {probe.StdErr.Trim()}");
        }
        if (RepoProcess.Configuration != "Release")
        {
            Assert.Ignore("docs/docfx.json documents the Release assemblies; this run is " +
                          $"{RepoProcess.Configuration}: run the tests with -c Release.");
        }
        _site = Path.Combine(Path.GetTempPath(), $"moescratch-docs-{Environment.ProcessId}");
        var build = RepoProcess.Run(RepoProcess.DotnetHost,
            ["tool", "run", "docfx", "docs/docfx.json", "--warningsAsErrors", "--output", _site],
            RepoProcess.Root, TimeSpan.FromMinutes(8));
        TestContext.Out.WriteLine($"docfx build: {build.Elapsed.TotalSeconds:F1} s");
        Assert.That(build.ExitCode, Is.EqualTo(0), "docfx build (warnings are errors): " + build.Log);
        _server = new StaticSite(_site);
    }

    [OneTimeTearDown]
    public void RemoveSite()
    {
        _server?.Dispose();
        if (_site.Length > 0 && Directory.Exists(_site)) Directory.Delete(_site, recursive: true);
    }

    [Test]
    public void FrontPage_Renders_WithItsFirstProgram()
    {
        string dom = Dom("index.html");
        Assert.That(Text(dom), Does.Contain("Five packages, one direction"));
        AssertCodeBlocks(dom, "index.html", "samples/Autodiff/Program.cs", "create", "compute", "backward");
        AssertCodeBlocks(dom, "index.html", "samples/SoftMoeLayer/Program.cs", "build");
    }

    [Test]
    public void GuidePage_Renders_WithTheSampleCode()
    {
        string dom = Dom("articles/tensors-and-autodiff.html");
        Assert.That(Text(dom), Does.Contain("TensorScope"));
        Assert.That(dom, Does.Contain("hljs"), "the template's scripts ran: code blocks are highlighted");
        Assert.That(Text(dom), Does.Contain("Writing an op"),
                    "the template's scripts ran: the guide's table of contents is there");
        AssertCodeBlocks(dom, "articles/tensors-and-autodiff.html", "samples/Autodiff/Program.cs",
                         "create", "compute", "backward", "nograd", "mlp", "gradcheck");
    }

    [Test]
    public void ApiPage_Renders_TensorBackwardWithItsSignatureAndDocs()
    {
        string dom = Dom("api/MoeScratch.Tensors.Tensor.html");
        string text = Text(dom);
        Assert.That(text, Does.Contain("public void Backward(Tensor? gradient = null, bool retainGraph = false)"));
        Assert.That(text, Does.Contain("Back-propagates from this tensor"));
        Assert.That(dom, Does.Contain("<code"), "the API page has code blocks");
    }

    /// <summary>Each region of the sample appears, line by line, inside a rendered csharp code block.</summary>
    private static void AssertCodeBlocks(string dom, string page, string sample, params string[] regions)
    {
        const string CodeBlock = @"<code[^>]*class=""[^""]*lang-csharp[^""]*""[^>]*>(.*?)</code>";
        var blocks = Regex.Matches(dom, CodeBlock, RegexOptions.Singleline)
                          .Select(m => Normalize(Text(m.Groups[1].Value))).ToList();
        Assert.That(blocks, Is.Not.Empty, $"{page}: no rendered C# code block");
        Assert.That(dom, Does.Not.Contain("[!code-"), $"{page}: an include was not resolved");
        string[] lines = File.ReadAllLines(Path.Combine(RepoProcess.Root, sample));
        foreach (string region in regions)
        {
            int start = Array.FindIndex(lines, l => l.Trim() == $"// <{region}>");
            int end = Array.FindIndex(lines, l => l.Trim() == $"// </{region}>");
            Assert.That(start >= 0 && end > start, Is.True, $"{sample} has no region '{region}'");
            string expected = Normalize(string.Join("\n", lines[(start + 1)..end]));
            Assert.That(blocks.Any(b => b.Contains(expected, StringComparison.Ordinal)), Is.True,
                        $"{page}: region '{region}' of {sample} is not rendered as a code block");
        }
    }

    private static string Normalize(string code) =>
        string.Join("\n", code.Replace("\r", "").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0));

    private static string Text(string html) => WebUtility.HtmlDecode(Regex.Replace(html, "<[^>]+>", ""));

    /// <summary>The page's DOM after Chromium loaded it over HTTP and ran its scripts.</summary>
    private string Dom(string page)
    {
        Assert.That(File.Exists(Path.Combine(_site, page)), Is.True, $"the site has no {page}");
        var run = RepoProcess.Run(_chromium,
            ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--virtual-time-budget=5000",
             "--dump-dom", _server!.BaseUrl + page], RepoProcess.Root, TimeSpan.FromMinutes(1));
        Assert.That(run.ExitCode, Is.EqualTo(0), $"chromium --dump-dom {page}: " + run.Log);
        Assert.That(run.StdOut, Does.Contain("</html>"), $"chromium printed no DOM for {page}: " + run.Log);
        return run.StdOut;
    }

    private static string? FindChromium()
    {
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "")
                   .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        foreach (string name in new[] { "chromium", "chromium-browser", "google-chrome" })
        {
            foreach (string dir in dirs)
            {
                string candidate = Path.Combine(dir, name);
                if (File.Exists(candidate)) return candidate;
            }
        }
        return null;
    }
}
