using System.Reflection;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace MoeScratch.Tensors.Gpu;

/// <summary>
/// Compiles kernels to PTX for a chosen CUDA architecture without a GPU (ILGPU's <see cref="PTXBackend"/> needs
/// no driver). This checks that ILGPU's code generator accepts every kernel for, e.g., Hopper (sm_90); it cannot
/// check that the driver's JIT (ptxas) accepts the PTX or that it runs correctly, which needs a device.
/// </summary>
/// <remarks>
/// ILGPU 1.5.3 writes <c>.target</c> as the lowest architecture that covers the capabilities the kernels use
/// (<c>CudaCapabilityContext.TargetArchitecture</c>, at most sm_80 in 1.5.3), not the requested one: on an H100
/// the driver JIT-compiles that forward-compatible PTX for sm_90. <see cref="Result.Target"/> reports the line.
/// </remarks>
public static class PtxCompileCheck
{
    /// <summary>The outcome for one kernel.</summary>
    /// <param name="Kernel">Kernel method, with its operator type for generic kernels.</param>
    /// <param name="Success">Whether ILGPU produced PTX.</param>
    /// <param name="Target">The <c>.target</c> line of the PTX, or null.</param>
    /// <param name="Error">The compiler's message on failure.</param>
    /// <param name="PtxLength">Characters of PTX produced.</param>
    public sealed record Result(string Kernel, bool Success, string? Target, string? Error, int PtxLength);

    /// <summary>
    /// Compiles every kernel of Tensor.Gpu (each public static method of a <c>*Kernels</c> class in
    /// <c>MoeScratch.Tensors.Gpu.Kernels</c>; generic kernels once per operator struct that satisfies their
    /// constraint) for <paramref name="architecture"/> with PTX ISA <paramref name="isa"/>.
    /// </summary>
    public static IReadOnlyList<Result> CompileAllKernels(CudaArchitecture architecture, CudaInstructionSet isa)
    {
        using var context = Context.Create(b => b.Cuda().EnableAlgorithms());
        using var ptx = new PTXBackend(context, new CudaCapabilityContext(architecture), architecture, isa, null!);
        var results = new List<Result>();
        foreach (var method in AllKernels())
        {
            string name = method.IsGenericMethod
                ? $"{method.DeclaringType!.Name}.{method.Name}<{method.GetGenericArguments()[0].Name}>"
                : $"{method.DeclaringType!.Name}.{method.Name}";
            try
            {
                var p = method.GetParameters();
                bool isExplicit = p.Length == 0 || !typeof(IIndex).IsAssignableFrom(p[0].ParameterType);
                var entry = isExplicit
                    ? EntryPointDescription.FromExplicitlyGroupedKernel(method)
                    : EntryPointDescription.FromImplicitlyGroupedKernel(method);
                var compiled = (PTXCompiledKernel)ptx.Compile(entry, KernelSpecialization.Empty);
                string code = compiled.PTXAssembly;
                string? target = code.Split('\n').FirstOrDefault(l => l.StartsWith(".target", StringComparison.Ordinal));
                results.Add(new Result(name, true, target?.Trim(), null, code.Length));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                results.Add(new Result(name, false, null, e.GetType().Name + ": " + e.Message, 0));
            }
        }
        return results;
    }

    /// <summary>Every kernel method, generic ones closed over each matching operator struct.</summary>
    public static IEnumerable<MethodInfo> AllKernels()
    {
        var types = typeof(GpuBackend).Assembly.GetTypes();
        var kernelClasses = types.Where(t => t.Namespace == "MoeScratch.Tensors.Gpu.Kernels" && t.IsAbstract && t.IsSealed &&
                                             t.Name.EndsWith("Kernels", StringComparison.Ordinal));
        foreach (var cls in kernelClasses.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            foreach (var m in cls.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly)
                                 .Where(m => m.ReturnType == typeof(void)).OrderBy(m => m.Name, StringComparer.Ordinal))
            {
                if (!m.IsGenericMethodDefinition)
                {
                    yield return m;
                    continue;
                }
                var constraint = m.GetGenericArguments()[0].GetGenericParameterConstraints().First(c => c.IsInterface);
                foreach (var op in types.Where(t => t.IsValueType && constraint.IsAssignableFrom(t))
                                        .OrderBy(t => t.Name, StringComparer.Ordinal))
                {
                    yield return m.MakeGenericMethod(op);
                }
            }
        }
    }
}
