using System.CommandLine;
using System.CommandLine.Parsing;

namespace MoeScratch.Train.Cli;

/// <summary>
/// The command tree (System.CommandLine 3.0.0) and its entry point. Parse errors are printed by
/// <see cref="Run"/> itself so every message names the flag and what is allowed; they exit with code 2 (bad usage,
/// one line), failures inside a command with 1, Ctrl-C with 130.
/// </summary>
public static partial class CliApp
{
    /// <summary>Exit code for a bad command line or config.</summary>
    public const int UsageError = 2;

    /// <summary>
    /// System.CommandLine kills a Ctrl-C'd process after 2 s by default, cutting a checkpoint write short
    /// and the trainer needs at most one episode plus one checkpoint.
    /// </summary>
    public static readonly TimeSpan TerminationTimeout = TimeSpan.FromMinutes(10);

    /// <summary>Parses and runs <paramref name="args"/>; returns the exit code.</summary>
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
        var config = new InvocationConfiguration
        {
            Output = output,
            Error = error,
            ProcessTerminationTimeout = TerminationTimeout,
            EnableDefaultExceptionHandler = false, // our messages name the flag or file; a stack trace does not help users
        };
        try
        {
            return await pr.InvokeAsync(config, ct).ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            await error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            return UsageError;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            await error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            return 1;
        }
    }

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
            string prefix = name.Length > 0 && !e.Message.StartsWith("--", StringComparison.Ordinal) ? $"{name}: " : "";
            yield return $"error: {prefix}{e.Message}";
        }
    }

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
