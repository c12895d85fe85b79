using System.Diagnostics.CodeAnalysis;

namespace MoeScratch.Tensors.Internal;

/// <summary>Every exception Tensor.Core throws goes through here, so messages stay uniform.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void Argument(string message) => throw new ArgumentException(message);

    [DoesNotReturn]
    public static T Argument<T>(string message) => throw new ArgumentException(message);

    [DoesNotReturn]
    public static void InvalidOperation(string message) => throw new InvalidOperationException(message);

    [DoesNotReturn]
    public static void Disposed(string what) =>
        throw new ObjectDisposedException(what, $"{what} was used after its storage was released " +
            "(a tensor created inside a TensorScope is recycled when the scope ends; call scope.Keep(t) " +
            "or create it outside the scope).");

    /// <summary>Throws unless the two shapes are equal; the message names the op and both shapes.</summary>
    public static void ShapesEqual(string op, Shape a, Shape b, string nameA = "a", string nameB = "b")
    {
        if (a != b)
        {
            Argument($"{op}: shapes differ, {nameA} is {a} and {nameB} is {b}.");
        }
    }

    public static void SameBackend(string op, Tensor a, Tensor b)
    {
        if (!ReferenceEquals(a.Backend, b.Backend))
        {
            Argument($"{op}: tensors live on different backends ({a.Backend.Name} and {b.Backend.Name}); " +
                     "move one with Tensor.To(backend) first.");
        }
    }
}
