using Microsoft.Win32.SafeHandles;

namespace MoeScratch.Ale.Native;

/// <summary>Owns one native <c>ALEInterface*</c> (from <c>ALE_new</c>) and frees it with <c>ALE_del</c>.</summary>
internal sealed class AleHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    /// <summary>Used by the P/Invoke marshaller for the return value of <c>ALE_new</c>.</summary>
    public AleHandle()
        : base(ownsHandle: true)
    {
    }

    protected override bool ReleaseHandle()
    {
        AleNative.ALE_del(handle);
        return true;
    }
}
