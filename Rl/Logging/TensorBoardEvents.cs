using System.Buffers.Binary;

namespace MoeScratch.Rl.Logging;

/// <summary>
/// Serializes the TensorBoard <c>Event</c> protobuf messages MoeScratch writes and frames them as TFRecords
/// Field numbers follow tensorflow/core/util/event.proto and summary.proto.
/// </summary>
public static class TensorBoardEvents
{
    /// <summary>The file_version string TensorBoard expects in the first record.</summary>
    public const string FileVersion = "brain.Event:2";

    /// <summary>Image colorspace values of Summary.Image.</summary>
    public enum Colorspace
    {
        /// <summary>One channel.</summary>
        Grayscale = 1,
        /// <summary>Three channels.</summary>
        Rgb = 3,
        /// <summary>Four channels.</summary>
        Rgba = 4,
    }

    private static ProtoWriter Event(double wallTime, long step)
    {
        var e = new ProtoWriter();
        if (wallTime != 0) e.DoubleField(1, wallTime);
        if (step != 0) e.VarintField(2, step);
        return e;
    }

    private static byte[] WithValue(double wallTime, long step, ProtoWriter value) =>
        Event(wallTime, step).MessageField(5, new ProtoWriter().MessageField(1, value)).ToArray();

    /// <summary><c>Event{wall_time, file_version="brain.Event:2"}</c>, the mandatory first record.</summary>
    public static byte[] FileVersionEvent(double wallTime) => Event(wallTime, 0).StringField(3, FileVersion).ToArray();

    /// <summary><c>Event{wall_time, step, summary{value{tag, simple_value}}}</c>.</summary>
    public static byte[] ScalarEvent(double wallTime, long step, string tag, float value) =>
        WithValue(wallTime, step, new ProtoWriter().StringField(1, tag).FloatField(2, value));

    /// <summary>
    /// A text summary (rendered as markdown by the text plugin): tag <c>&lt;name&gt;/text_summary</c>, plugin "text",
    /// and a DT_STRING tensor of shape [1] holding the UTF-8 text.
    /// </summary>
    public static byte[] TextEvent(double wallTime, long step, string name, string markdown)
    {
        var tensor = new ProtoWriter()
            .VarintField(1, 7) // DT_STRING
            .MessageField(2, new ProtoWriter().MessageField(2, new ProtoWriter().VarintField(1, 1)))
            .StringField(8, markdown);
        // TextPluginData{version=0} serializes to nothing, so plugin_data holds only the plugin name.
        var metadata = new ProtoWriter().MessageField(1, new ProtoWriter().StringField(1, "text"));
        var value = new ProtoWriter().StringField(1, name + "/text_summary").MessageField(8, tensor).MessageField(9, metadata);
        return WithValue(wallTime, step, value);
    }

    /// <summary>An image summary; <paramref name="encoded"/> is PNG or (animated) GIF bytes.</summary>
    public static byte[] ImageEvent(double wallTime, long step, string tag, ReadOnlySpan<byte> encoded, int height, int width, Colorspace colorspace)
    {
        var image = new ProtoWriter().VarintField(1, height).VarintField(2, width).VarintField(3, (int)colorspace).BytesField(4, encoded);
        return WithValue(wallTime, step, new ProtoWriter().StringField(1, tag).MessageField(4, image));
    }

    /// <summary>
    /// <c>Event{step, session_log{status=START}}</c>: written at resume step T, it makes TensorBoard hide events with
    /// step ≥ T left by the crashed run after its last checkpoint (torch's purge_step).
    /// </summary>
    public static byte[] SessionStartEvent(double wallTime, long step) =>
        Event(wallTime, step).MessageField(7, new ProtoWriter().VarintField(1, 1)).ToArray();

    /// <summary>Frames one serialized event as a TFRecord: length, masked CRC of length, data, masked CRC of data.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> data)
    {
        var record = new byte[8 + 4 + data.Length + 4];
        BinaryPrimitives.WriteUInt64LittleEndian(record, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), Crc32C.ComputeMasked(record.AsSpan(0, 8)));
        data.CopyTo(record.AsSpan(12));
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(12 + data.Length), Crc32C.ComputeMasked(data));
        return record;
    }
}
