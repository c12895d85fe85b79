using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;
using MoeScratch.Rl.Running;

namespace MoeScratch.Train.Cli;

/// <summary>
/// The command tree (System.CommandLine 3.0.0) and its entry point. Parse errors are printed by
/// <see cref="RunAsync"/> itself so every message names the flag and what is allowed. Exit codes are those of
/// <see cref="ExitCodes"/> (documented in <c>--help</c>); no stack trace reaches the console.
/// </summary>
public static partial class CliApp
{
    /// <summary>Exit code for a bad command line or config (<see cref="ExitCodes.BadInput"/>).</summary>
    public const int UsageError = ExitCodes.BadInput;

    /// <summary>Parses and runs <paramref name="args"/>; returns the exit code.</summary>
    /// <remarks>
    /// For <c>train</c>, SIGINT/SIGTERM are handled by <see cref="GracefulShutdown"/> rather than System.CommandLine,
    /// which cannot tell the two signals apart (the exit code says which one stopped the run: 130 or 143): the first
    /// signal cancels the command's token (the trainer finishes its episode, checkpoints and returns), a second one
    /// ends the process at once. Other commands keep System.CommandLine's handler, with a generous timeout instead of
    /// its 2 s default, which would cut a child's checkpoint short.
    /// </remarks>
    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken ct = default)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        RootCommand root = BuildRoot();
        ParseResult pr = root.Parse(args);
        if (pr.Errors.Count > 0)
        {
            foreach (string message in DescribeErrors(pr)) await error.WriteLineAsync(message).ConfigureAwait(false);
            await error.WriteLineAsync($"Run '{CommandPath(pr.CommandResult)} --help' for usage.").ConfigureAwait(false);
            return UsageError;
        }
        bool train = pr.CommandResult.Command is RootCommand || pr.CommandResult.Command.Name == "train";
        var config = new InvocationConfiguration
        {
            Output = output,
            Error = error,
            ProcessTerminationTimeout = train ? null : TerminationTimeout,
            EnableDefaultExceptionHandler = false, // our messages name the flag or file; a stack trace does not help users
        };
        using var shutdown = train ? new GracefulShutdown(line => error.WriteLine(line)) : null;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, shutdown?.Token ?? CancellationToken.None);
        try
        {
            int rc = await pr.InvokeAsync(config, linked.Token).ConfigureAwait(false);
            return rc == ExitCodes.Interrupted && shutdown?.Signal is not null ? shutdown.ExitCode : rc;
        }
        catch (Exception e)
        {
            var (code, line) = ExitCodes.Describe(e);
            await error.WriteLineAsync(line).ConfigureAwait(false);
            return code;
        }
    }

    /// <summary>How long System.CommandLine waits for a command other than <c>train</c> after SIGINT/SIGTERM: a local
    /// sweep forwards the signal to its jobs and waits for their checkpoints.</summary>
    public static readonly TimeSpan TerminationTimeout = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Turns parse errors into messages that name the flag. An unrecognised token that looks like a flag gets the
    /// closest valid flags and the full list of the command's flags.
    /// </summary>
    public static IEnumerable<string> DescribeErrors(ParseResult pr)
    {
        ArgumentNullException.ThrowIfNull(pr);
        Command command = pr.CommandResult.Command;
        var flags = command.Options.Where(o => !o.Hidden).Select(o => o.Name).Order(StringComparer.Ordinal).ToList();
        var subcommands = command.Subcommands.Select(c => c.Name).ToList();
        var unmatched = new HashSet<string>(pr.UnmatchedTokens, StringComparer.Ordinal);
        foreach (string token in pr.UnmatchedTokens)
        {
            if (token.StartsWith('-'))
            {
                string name = token.Split('=', 2)[0];
                var close = flags.Where(f => Distance(f, name) <= Math.Max(2, name.Length / 3)).OrderBy(f => Distance(f, name)).Take(3).ToList();
                yield return $"error: unknown option '{name}' for '{CommandPath(pr.CommandResult)}'." +
                             (close.Count > 0 ? $" Did you mean {string.Join(" or ", close)}?" : "") +
                             $" Valid options: {string.Join(", ", flags)}.";
            }
            else
            {
                yield return $"error: unexpected argument '{token}' for '{CommandPath(pr.CommandResult)}'." +
                             (subcommands.Count > 0 ? $" Commands: {string.Join(", ", subcommands)}." : "");
            }
        }
        foreach (ParseError e in pr.Errors)
        {
            // Unmatched tokens were described above; the stock message would repeat them without the flag list.
            if (unmatched.Any(t => e.Message.Contains($"'{t}'", StringComparison.Ordinal))) continue;
            string name = OptionName(e.SymbolResult);
            Match stock = StockParseError().Match(e.Message);
            if (stock.Success)
            {
                // System.CommandLine's own message names the .NET type ("as expected type 'System.UInt64'").
                string flag = stock.Groups["option"].Value;
                yield return $"error: {flag}: '{stock.Groups["value"].Value}' is not valid; expected {FriendlyType(stock.Groups["type"].Value)}.";
                continue;
            }
            string prefix = name.Length > 0 && !e.Message.StartsWith("--", StringComparison.Ordinal) ? $"{name}: " : "";
            yield return $"error: {prefix}{e.Message}";
        }
    }

    [GeneratedRegex(@"Cannot parse argument '(?<value>.*)' for option '(?<option>[^']*)' as expected type '(?<type>[^']*)'")]
    private static partial Regex StockParseError();

    /// <summary>Words for a .NET type in an error message.</summary>
    internal static string FriendlyType(string type) => type.Replace("System.", "", StringComparison.Ordinal).TrimEnd('[', ']') switch
    {
        "Byte" or "Int16" or "Int32" or "Int64" => "an integer",
        "UInt16" or "UInt32" or "UInt64" => "a non-negative integer",
        "Single" or "Double" or "Decimal" => "a number",
        "Boolean" => "true or false (or leave the value out)",
        _ => "a value of another form (see --help)",
    };

    private static string OptionName(SymbolResult? r) => r switch
    {
        OptionResult o => o.Option.Name,
        ArgumentResult { Parent: OptionResult o } => o.Option.Name,
        _ => "",
    };

    private static string CommandPath(CommandResult r)
    {
        var names = new List<string>();
        for (SymbolResult? s = r; s is not null; s = s.Parent)
            if (s is CommandResult c) names.Add(c.Command is RootCommand ? "MoeScratch.Train" : c.Command.Name);
        names.Reverse();
        return string.Join(" ", names);
    }

    /// <summary>Levenshtein distance, for "did you mean".</summary>
    internal static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }
}
