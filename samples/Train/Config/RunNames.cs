using System.Globalization;

namespace MoeScratch.Train.Config;

/// <summary>
/// The names that identify a run: the network tag, and the sweep's run-folder name
/// <c>&lt;preset&gt;__&lt;env&gt;__&lt;network tag&gt;__&lt;seed&gt;</c> (no timestamp, so that running a job again finds
/// its run: docs/runs-and-sweeps.md). The tag spells out every network setting a study varies:
/// <list type="bullet">
/// <item>dense networks: the name, plus <c>-x&lt;k&gt;</c> when the width multiplier is not 1 (<c>baseline</c>,
/// <c>baseline-x4</c>);</item>
/// <item>MoE networks that take a tokenizer: name, experts, tokenizer (<c>softmoe4-perconv</c>; a name ending in a digit
/// gets a '-' before the experts: <c>top1-8-perfeat</c>);</item>
/// <item>Soft MoE's Big and All variants (per-sample tokens): name and experts (<c>softmoe-big4</c>);</item>
/// <item>any MoE network with an explicit expert hidden size: <c>-h&lt;size&gt;</c> (<c>softmoe1-perconv-h2048</c>);</item>
/// <item>settings that differ from the preset's: the dense width <c>-d&lt;width&gt;</c> (<c>baseline-d128</c>) and the
/// encoder <c>-&lt;encoder&gt;</c> (<c>softmoe4-perconv-impala</c>); config.json holds the resolved values, which name
/// the preset's own settings too, so those are left out.</item>
/// </list>
/// </summary>
public static class RunNames
{
    /// <summary>The network tag of <paramref name="c"/> (see the class summary).</summary>
    public static string NetworkTag(TrainConfig c)
    {
        ArgumentNullException.ThrowIfNull(c);
        string tag;
        if (!Choices.IsMoe(c.Network))
        {
            tag = c.WidthMultiplier == 1 ? c.Network : string.Create(CultureInfo.InvariantCulture, $"{c.Network}-x{c.WidthMultiplier}");
            if (c.DenseWidth is int w && w != PresetNetwork(c).DenseWidth) tag += string.Create(CultureInfo.InvariantCulture, $"-d{w}");
        }
        else
        {
            string separator = char.IsAsciiDigit(c.Network[^1]) ? "-" : "";
            tag = string.Create(CultureInfo.InvariantCulture, $"{c.Network}{separator}{c.Experts}");
            if (Training.RunConfigRules.TakesTokenizer(c.Network)) tag += "-" + c.Tokenizer;
            if (c.ExpertHidden is int h) tag += string.Create(CultureInfo.InvariantCulture, $"-h{h}");
        }
        if (c.Encoder is string e && e != Training.TrainSetup.EncoderName(PresetNetwork(c).Encoder)) tag += "-" + e;
        return tag;
    }

    private static Nn.Networks.NetworkConfig PresetNetwork(TrainConfig c) => Training.TrainSetup.Preset(c.Preset).Network;

    /// <summary>The sweep's run-folder name: <c>&lt;preset&gt;__&lt;env&gt;__&lt;network tag&gt;__&lt;seed&gt;</c>.</summary>
    public static string RunDirName(TrainConfig c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return string.Join("__", RunFolder.Sanitize(c.Preset), RunFolder.Sanitize(EnvSpec.Parse(c.Env).ShortName),
                           RunFolder.Sanitize(NetworkTag(c)), c.Seed.ToString(CultureInfo.InvariantCulture));
    }
}
