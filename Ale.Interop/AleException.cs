namespace MoeScratch.Ale;

/// <summary>A C++ exception caught by the shim and reported through its last-error channel (ale_c_shim.cpp).</summary>
public sealed class AleException : InvalidOperationException
{
    /// <summary>Creates the exception for a failed native call.</summary>
    public AleException(string operation, string nativeMessage)
        : base($"ALE {operation} failed: {nativeMessage}")
    {
        Operation = operation;
        NativeMessage = nativeMessage;
    }

    /// <summary>The native call (and its argument) that failed, e.g. "setInt('frame_skip')".</summary>
    public string Operation { get; }

    /// <summary>The message recorded by the shim.</summary>
    public string NativeMessage { get; }
}
