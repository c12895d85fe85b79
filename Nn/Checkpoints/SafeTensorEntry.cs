using System.Runtime.InteropServices;

namespace MoeScratch.Nn.Checkpoints;

/// <summary>The safetensors dtypes MoeScratch reads and writes.</summary>
public enum SafeTensorDType
{
    /// <summary>IEEE float32.</summary>
    F32,
    /// <summary>IEEE float16.</summary>
    F16,
    /// <summary>bfloat16.</summary>
    BF16,
    /// <summary>int32.</summary>
    I32,
    /// <summary>int64.</summary>
    I64,
    /// <summary>uint8.</summary>
    U8,
}

/// <summary>Size, name and writer ordering of <see cref="SafeTensorDType"/> values.</summary>
public static class SafeTensorDTypes
{
    /// <summary>Bytes per element.</summary>
    public static int SizeOf(SafeTensorDType dtype) => dtype switch
    {
        SafeTensorDType.F32 or SafeTensorDType.I32 => 4,
        SafeTensorDType.F16 or SafeTensorDType.BF16 => 2,
        SafeTensorDType.I64 => 8,
        SafeTensorDType.U8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown safetensors dtype"),
    };

    /// <summary>The dtype string used in the JSON header.</summary>
    public static string ToName(SafeTensorDType dtype) => dtype switch
    {
        SafeTensorDType.F32 => "F32",
        SafeTensorDType.F16 => "F16",
        SafeTensorDType.BF16 => "BF16",
        SafeTensorDType.I32 => "I32",
        SafeTensorDType.I64 => "I64",
        SafeTensorDType.U8 => "U8",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown safetensors dtype"),
    };

    /// <summary>Parses a header dtype string; returns false for dtypes MoeScratch does not support.</summary>
    public static bool TryParse(string name, out SafeTensorDType dtype)
    {
        switch (name)
        {
            case "F32": dtype = SafeTensorDType.F32; return true;
            case "F16": dtype = SafeTensorDType.F16; return true;
            case "BF16": dtype = SafeTensorDType.BF16; return true;
            case "I32": dtype = SafeTensorDType.I32; return true;
            case "I64": dtype = SafeTensorDType.I64; return true;
            case "U8": dtype = SafeTensorDType.U8; return true;
            default: dtype = default; return false;
        }
    }

    /// <summary>
    /// Position in the reference `Dtype` enum (safetensors/src/tensor.rs), which is declared in increasing
    /// alignment order: BOOL, U8, I8, F8*, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64. The reference
    /// writer sorts by this rank descending, then by name, so F32 comes before I32 even though both are 4 bytes.
    /// </summary>
    internal static int WriterRank(SafeTensorDType dtype) => dtype switch
    {
        SafeTensorDType.U8 => 0,
        SafeTensorDType.F16 => 1,
        SafeTensorDType.BF16 => 2,
        SafeTensorDType.I32 => 3,
        SafeTensorDType.F32 => 4,
        SafeTensorDType.I64 => 5,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown safetensors dtype"),
    };
}

/// <summary>
/// One named tensor of a safetensors file: dtype, shape and raw little-endian row-major bytes.
/// Independent of <c>Module</c>; the state-dict code converts to and from this type.
/// </summary>
public sealed class SafeTensorEntry
{
    /// <summary>Creates an entry, checking that <paramref name="data"/> holds exactly count × dtype size bytes.</summary>
    public SafeTensorEntry(string name, SafeTensorDType dtype, int[] shape, byte[] data)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        if (name == SafeTensors.MetadataKey)
            throw new ArgumentException($"Tensor name '{SafeTensors.MetadataKey}' is reserved for the metadata block; rename the tensor.", nameof(name));
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"Tensor '{name}': shape [{string.Join(", ", shape)}] has a negative dimension.", nameof(shape));
            count = checked(count * d);
        }
        long expected = checked(count * SafeTensorDTypes.SizeOf(dtype));
        if (data.LongLength != expected)
            throw new ArgumentException(
                $"Tensor '{name}': {dtype} shape [{string.Join(", ", shape)}] needs {expected} bytes but {data.LongLength} were given.", nameof(data));
        Name = name;
        DType = dtype;
        Shape = (int[])shape.Clone();
        Data = data;
        ElementCount = count;
    }

    /// <summary>Tensor name (dotted module path, e.g. <c>encoder.conv1.weight</c>).</summary>
    public string Name { get; }

    /// <summary>Element type.</summary>
    public SafeTensorDType DType { get; }

    /// <summary>Dimensions (empty for a scalar).</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>Raw little-endian row-major bytes.</summary>
    public byte[] Data { get; }

    /// <summary>Product of the dimensions (1 for a scalar, 0 if any dimension is 0).</summary>
    public long ElementCount { get; }

    /// <summary>Creates an F32 entry from floats (copied to little-endian bytes).</summary>
    public static SafeTensorEntry FromFloats(string name, int[] shape, ReadOnlySpan<float> values)
    {
        var bytes = new byte[checked(values.Length * sizeof(float))];
        if (BitConverter.IsLittleEndian) MemoryMarshal.AsBytes(values).CopyTo(bytes);
        else for (int i = 0; i < values.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        return new SafeTensorEntry(name, SafeTensorDType.F32, shape, bytes);
    }

    /// <summary>Returns the values of an F32 entry.</summary>
    public float[] ToFloats()
    {
        if (DType != SafeTensorDType.F32)
            throw new InvalidOperationException($"Tensor '{Name}' is {DType}, not F32; read Data and convert explicitly.");
        var values = new float[ElementCount];
        for (int i = 0; i < values.Length; i++)
            values[i] = System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(Data.AsSpan(i * 4));
        return values;
    }
}
