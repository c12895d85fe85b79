using System.Globalization;
using MoeScratch.Nn.Optim;
using MoeScratch.Tensors;

namespace MoeScratch.Nn.Checkpoints;

/// <summary>What <see cref="ModuleCheckpoint.Load"/> read besides the tensors.</summary>
/// <param name="Step">The training step stored in the metadata ("step").</param>
/// <param name="Metadata">The whole <c>__metadata__</c> block.</param>
public sealed record ModuleCheckpointInfo(long Step, IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// Saves a <see cref="Module"/>'s state dict (and optionally an <see cref="Optimizer"/>'s) as one safetensors file
/// (the safetensors format): dotted module names as written by PyTorch's <c>save_file(model.state_dict())</c>, all F32,
/// optimizer slots under <see cref="OptimizerPrefix"/>, and a <c>__metadata__</c> block with
/// <c>"format": "pt"</c> (what huggingface loaders expect), the step and the optimizer's step count. Written
/// atomically through <see cref="AtomicFile"/>.
/// </summary>
public static class ModuleCheckpoint
{
    /// <summary>Prefix of optimizer slots ("optimizer.adam.m.encoder.conv1.weight").</summary>
    public const string OptimizerPrefix = "optimizer.";

    /// <summary>Metadata key of the training step.</summary>
    public const string StepKey = "step";

    /// <summary>Metadata key of the optimizer's own step count (Adam's t).</summary>
    public const string OptimizerStepKey = "optimizer_step_count";

    /// <summary>Writes <paramref name="module"/> (and <paramref name="optimizer"/>) to <paramref name="path"/>.</summary>
    /// <param name="path">Target file (replaced atomically).</param>
    /// <param name="module">The module whose parameters and buffers are saved.</param>
    /// <param name="optimizer">Optional optimizer whose slots and step count are saved.</param>
    /// <param name="step">Training step for the metadata; default the optimizer's step count, else 0.</param>
    /// <param name="extraMetadata">More string metadata (may not override the reserved keys).</param>
    /// <exception cref="ArgumentException">An extra metadata key collides with a reserved one.</exception>
    public static void Save(string path, Module module, Optimizer? optimizer = null, long? step = null,
                            IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        var entries = new List<SafeTensorEntry>();
        foreach (var (name, t) in module.StateDict()) entries.Add(ToEntry(name, t));
        if (optimizer is not null)
        {
            foreach (var (name, t) in optimizer.StateDict()) entries.Add(ToEntry(OptimizerPrefix + name, t));
        }
        var meta = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = "pt",
            [StepKey] = (step ?? optimizer?.StepCount ?? 0).ToString(CultureInfo.InvariantCulture),
            ["module"] = module.GetType().Name,
        };
        if (optimizer is not null)
        {
            meta["optimizer"] = optimizer.GetType().Name;
            meta[OptimizerStepKey] = optimizer.StepCount.ToString(CultureInfo.InvariantCulture);
        }
        foreach (var (k, v) in extraMetadata ?? new Dictionary<string, string>())
        {
            if (!meta.TryAdd(k, v))
            {
                throw new ArgumentException($"ModuleCheckpoint.Save: metadata key '{k}' is reserved " +
                                            $"({string.Join(", ", meta.Keys)}); rename it.");
            }
        }
        SafeTensors.Save(path, entries, meta);
    }

    private static SafeTensorEntry ToEntry(string name, Tensor t) => SafeTensorEntry.FromFloats(name, t.Shape.ToArray(), t.ToArray());

    /// <summary>
    /// Loads <paramref name="path"/> into <paramref name="module"/> (and <paramref name="optimizer"/>). Everything is
    /// checked before anything is copied, so a failed load leaves the model untouched. Optimizer slots in the file
    /// are ignored when no optimizer is given (loading a training checkpoint for evaluation).
    /// </summary>
    /// <exception cref="InvalidDataException">The first mismatch, by name: a tensor missing from the file, one the
    /// model does not have, a shape or dtype mismatch, or missing step metadata; or a malformed file.</exception>
    public static ModuleCheckpointInfo Load(string path, Module module, Optimizer? optimizer = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        var file = SafeTensors.Load(path);
        var meta = file.Metadata ?? new Dictionary<string, string>();
        var moduleState = module.StateDict();
        var optimizerState = optimizer?.StateDict();

        var expected = new List<KeyValuePair<string, Tensor>>(moduleState);
        if (optimizerState is not null) expected.AddRange(optimizerState.Select(kv => new KeyValuePair<string, Tensor>(OptimizerPrefix + kv.Key, kv.Value)));
        var expectedNames = new HashSet<string>(expected.Select(kv => kv.Key), StringComparer.Ordinal);
        foreach (var (name, t) in expected)
        {
            if (!file.TryGet(name, out var e))
            {
                throw Mismatch(path, $"'{name}' {t.Shape} is missing from the file (it holds {file.Entries.Count} tensors); " +
                                     "was it saved from a different architecture or without the optimizer?");
            }
            if (e.DType != SafeTensorDType.F32)
            {
                throw Mismatch(path, $"'{name}' is {e.DType} in the file but the model holds F32; convert the checkpoint to F32.");
            }
            if (!e.Shape.SequenceEqual(t.Shape.ToArray()))
            {
                throw Mismatch(path, $"'{name}' has shape [{string.Join(", ", e.Shape)}] in the file but {t.Shape} in the model; " +
                                     "the network config differs from the one that was saved.");
            }
        }
        foreach (var e in file.Entries)
        {
            if (expectedNames.Contains(e.Name)) continue;
            if (optimizer is null && e.Name.StartsWith(OptimizerPrefix, StringComparison.Ordinal)) continue;
            throw Mismatch(path, $"the file has '{e.Name}' [{string.Join(", ", e.Shape)}], which the model " +
                                 $"{(e.Name.StartsWith(OptimizerPrefix, StringComparison.Ordinal) ? "'s optimizer" : "")} does not have.");
        }
        long step = ParseLong(path, meta, StepKey);
        long optSteps = optimizer is null ? 0 : ParseLong(path, meta, OptimizerStepKey);

        module.LoadStateDict(Tensors(file, moduleState.Keys, ""));
        if (optimizer is not null) optimizer.LoadStateDict(Tensors(file, optimizerState!.Keys, OptimizerPrefix), optSteps);
        return new ModuleCheckpointInfo(step, meta);
    }

    private static Dictionary<string, Tensor> Tensors(SafeTensorsFile file, IEnumerable<string> names, string prefix)
    {
        var d = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var e = file[prefix + name];
            d[name] = Tensor.FromArray(e.ToFloats(), new Shape([.. e.Shape]));
        }
        return d;
    }

    private static long ParseLong(string path, IReadOnlyDictionary<string, string> meta, string key)
    {
        if (!meta.TryGetValue(key, out var s) || !long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v))
        {
            throw Mismatch(path, $"__metadata__ lacks an integer '{key}' (found '{(s ?? "nothing")}'); " +
                                 "it was not written by ModuleCheckpoint.Save with this content.");
        }
        return v;
    }

    private static InvalidDataException Mismatch(string path, string what) => new($"ModuleCheckpoint.Load '{path}': {what}");
}
