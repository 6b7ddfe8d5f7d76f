// Maps the labels LLMs actually write (any case, English or Chinese, "person/handle" style) onto
// the configured entity types.
const BUILTIN_ALIASES: Record<string, string> = {
  per: 'PER',
  person: 'PER',
  persons: 'PER',
  people: 'PER',
  human: 'PER',
  name: 'PER',
  'person name': 'PER',
  人: 'PER',
  人名: 'PER',
  人物: 'PER',
  姓名: 'PER',
  loc: 'LOC',
  location: 'LOC',
  locations: 'LOC',
  place: 'LOC',
  city: 'LOC',
  country: 'LOC',
  gpe: 'LOC',
  region: 'LOC',
  地点: 'LOC',
  地名: 'LOC',
  位置: 'LOC',
  地区: 'LOC',
  城市: 'LOC',
  国家: 'LOC',
  org: 'ORG',
  organization: 'ORG',
  organisation: 'ORG',
  organizations: 'ORG',
  company: 'ORG',
  team: 'ORG',
  institution: 'ORG',
  组织: 'ORG',
  机构: 'ORG',
  组织机构: 'ORG',
  公司: 'ORG',
  团体: 'ORG',
  misc: 'OTHER',
  other: 'OTHER',
  others: 'OTHER',
  miscellaneous: 'OTHER',
  其他: 'OTHER',
  其它: 'OTHER',
};

export class LabelMapper {
  private readonly table = new Map<string, string>();

  constructor(
    private readonly entityTypes: string[],
    typeAliases: Record<string, string> = {},
  ) {
    for (const [k, v] of Object.entries(BUILTIN_ALIASES)) this.table.set(k, v);
    // Config aliases win over the built-in table.
    for (const [k, v] of Object.entries(typeAliases)) this.table.set(k.trim().toLowerCase(), v.toUpperCase());
    for (const t of entityTypes) this.table.set(t.toLowerCase(), t);
  }

  /** The configured type for a label, or undefined when it names none. */
  map(label: string): string | undefined {
    const cleaned = label.trim().replace(/^[\s"'`([（【]+|[\s"'`)\]）】.:：]+$/g, '');
    const parts = cleaned.split(/[/|,，、]/);
    // "news organization", "sports team": a qualified label is read by its words too, head word last.
    const words = parts.flatMap((p) => p.trim().split(/\s+/).reverse());
    const candidates = [cleaned, ...parts, ...words];
    for (const c of candidates) {
      const t = this.lookup(c.trim().toLowerCase());
      if (t) return t;
    }
    return undefined;
  }

  private lookup(key: string): string | undefined {
    if (!key) return undefined;
    let t = this.table.get(key) ?? this.table.get(key.replace(/^b-|^i-/, ''));
    // An alias may point at an alias (MISC -> OTHER); follow once more.
    if (t && !this.entityTypes.includes(t)) t = this.table.get(t.toLowerCase());
    return t && this.entityTypes.includes(t) ? t : undefined;
  }
}
