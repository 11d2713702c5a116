// Section 1: what each variant's deployment artefact weighs, raw and zipped as `sls package` zips.
import { check, kib, ratio, type Section } from './report';
import type { BuiltVariants, VariantName } from './variants';

export const ZIP_TARGET_BYTES = 100 * 1024;
const ORDER: VariantName[] = ['shipped', 'discovery', 'naive', 'external', 'sourcemap', 'article'];
const TOP_MODULES = 6;

export function bundleSection(built: BuiltVariants): Section {
  const shipped = built.variants.get('shipped');
  if (!shipped) throw new Error('no shipped variant');
  const rows = ORDER.flatMap((name) => {
    const variant = built.variants.get(name);
    if (!variant) return [];
    const files = [...variant.files.keys()]
      .map((file) => file.replace(/^handlers\//, ''))
      .join(' + ');
    return [
      [
        variant.label,
        files,
        kib(variant.rawBytes),
        kib(variant.zipBytes),
        ratio(variant.zipBytes / shipped.zipBytes),
      ],
    ];
  });
  const top = built.composition
    .slice(0, TOP_MODULES)
    .map(({ module, bytes }) => `${module} ${kib(bytes)}`)
    .join(', ');
  return {
    title: '1. Bundle: deployment artefact',
    table: { headers: ['Variant', 'Files', 'Raw', 'Zipped', 'vs shipped'], rows },
    notes: [
      built.zipReproduced
        ? "Zips other than the shipped one are written as sls package writes it (the serverless plugin's level-9 writer reproduces the shipped zip exactly)."
        : "WARNING: the serverless plugin's zip writer does not reproduce the shipped zip's size; zipped sizes compare approximately.",
      built.replicaMatches
        ? "The bench's esbuild rebuild with serverless.yml's options is byte-identical to the shipped bundle."
        : "WARNING: the bench's rebuild with serverless.yml's options differs from the shipped bundle.",
      `Largest parts of the shipped bundle (esbuild metafile): ${top}.`,
    ],
    checks: [
      check(
        'shipped artefact, zipped',
        `<= ${kib(ZIP_TARGET_BYTES)}`,
        `${kib(shipped.zipBytes)} (${shipped.zipBytes} bytes)`,
        shipped.zipBytes <= ZIP_TARGET_BYTES,
      ),
    ],
  };
}
