// The completion scripts `scs completion bash|zsh|fish` prints: pure text from the table of verbs and
// flags (cli/completion.ts reads it from the registered commands, so a new verb is completed without
// a change here). Services are not in the script: it asks `scs completion --services` when it needs
// them, so they follow the stack file found where the user is.

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

export interface CompletionVerb {
  name: string;
  description: string;
  /** Every spelling of every flag (`-d`, `--detach`). */
  flags: string[];
  /** The spellings of the flags that take a value: the word after them is not completed as a service. */
  valueFlags: string[];
  /** Whether its arguments are service names. */
  services: boolean;
  /** Fixed words its first argument may be (`images prune`, `completion bash`). */
  words: string[];
}

export interface CompletionTable {
  verbs: CompletionVerb[];
  globalFlags: string[];
  globalValueFlags: string[];
}

/** What a completion script may hold unquoted: a word of letters, digits and dashes. */
const WORD = /^-{0,2}[A-Za-z0-9][A-Za-z0-9-]*$/;

/**
 * The table with every word a script cannot hold safely left out (a verb's name, a flag), and a
 * verb's flags without the global ones, which every verb is offered anyway (once).
 */
export function safeTable(table: CompletionTable): CompletionTable {
  const words = (list: readonly string[]) => list.filter((word) => WORD.test(word));
  const global = new Set(table.globalFlags);
  return {
    verbs: table.verbs
      .filter((verb) => WORD.test(verb.name) && !verb.name.startsWith('-'))
      .map((verb) => ({
        ...verb,
        flags: words([...new Set(verb.flags)]).filter((flag) => !global.has(flag)),
        valueFlags: words(verb.valueFlags),
        words: words(verb.words),
      })),
    globalFlags: words(table.globalFlags),
    globalValueFlags: words(table.globalValueFlags),
  };
}

export function completionScript(shell: Shell, table: CompletionTable): string {
  const safe = safeTable(table);
  if (shell === 'bash') return bashScript(safe);
  if (shell === 'zsh') return zshScript(safe);
  return fishScript(safe);
}

/** A description inside single quotes, in any of the three shells: `'` closes, escapes, reopens. */
function quoted(text: string): string {
  return `'${text.replace(/[\r\n]+/g, ' ').replace(/'/g, `'\\''`)}'`;
}

/** For fish, where `\'` inside single quotes is a quote. */
function fishQuoted(text: string): string {
  return `'${text
    .replace(/[\r\n]+/g, ' ')
    .replace(/\\/g, '\\\\')
    .replace(/'/g, "\\'")}'`;
}

function bashScript({ verbs, globalFlags, globalValueFlags }: CompletionTable): string {
  const cases = (pick: (verb: CompletionVerb) => string) =>
    verbs.map((verb) => `    ${verb.name}) echo ${quoted(pick(verb))} ;;`).join('\n');
  return `# scs completion for bash. Load it in this shell:   source <(scs completion bash)
# or for every shell:   scs completion bash > ~/.local/share/bash-completion/completions/scs

_scs_verb_flags() {
  case "$1" in
${cases((verb) => verb.flags.join(' '))}
  esac
}

_scs_verb_value_flags() {
  case "$1" in
${cases((verb) => verb.valueFlags.join(' '))}
  esac
}

_scs_verb_words() {
  case "$1" in
${cases((verb) => verb.words.join(' '))}
  esac
}

_scs_verb_services() {
  case "$1" in
${verbs
  .filter((verb) => verb.services)
  .map((verb) => `    ${verb.name}) return 0 ;;`)
  .join('\n')}
  esac
  return 1
}

_scs() {
  local cur=\${COMP_WORDS[COMP_CWORD]} verb= word i value_flags
  local -a files=()
  local globals=${quoted(globalFlags.join(' '))}
  local global_values=${quoted(globalValueFlags.join(' '))}
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=\${COMP_WORDS[i]}
    if [[ -z $verb ]]; then
      if [[ " $global_values " == *" $word "* ]]; then
        [[ $word == -f || $word == --file ]] && files+=(--file "\${COMP_WORDS[i + 1]}")
        ((i++))
      elif [[ $word != -* ]]; then
        verb=$word
        value_flags=" $(_scs_verb_value_flags "$verb") "
      fi
    elif [[ $value_flags == *" $word "* ]]; then
      # After the verb, -f is the file unless the verb gives it a meaning of its own (logs -f).
      [[ $word == --file || ($word == -f && $value_flags == *" -f "*) ]] && files+=(--file "\${COMP_WORDS[i + 1]}")
      ((i++))
    fi
  done
  local prev=\${COMP_WORDS[COMP_CWORD - 1]}
  if ((COMP_CWORD > 1)); then
    case "$prev" in
      -f | --file)
        if [[ -z $verb || $value_flags == *" $prev "* ]]; then
          COMPREPLY=($(compgen -f -- "$cur"))
          return
        fi
        ;;
      --ansi) COMPREPLY=($(compgen -W 'auto never always' -- "$cur")); return ;;
      --format) COMPREPLY=($(compgen -W 'table json' -- "$cur")); return ;;
    esac
    if [[ (-z $verb && " $global_values " == *" $prev "*) || (-n $verb && $value_flags == *" $prev "*) ]]; then
      COMPREPLY=()
      return
    fi
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$globals \${verb:+$(_scs_verb_flags "$verb")}" -- "$cur"))
  elif [[ -z $verb ]]; then
    COMPREPLY=($(compgen -W ${quoted(verbs.map((verb) => verb.name).join(' '))} -- "$cur"))
  else
    local words
    words="$(_scs_verb_words "$verb")"
    if _scs_verb_services "$verb"; then
      words+=" $(scs completion --services "\${files[@]}" 2>/dev/null)"
    fi
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
  fi
}

complete -o default -F _scs scs
`;
}

function zshScript({ verbs, globalFlags, globalValueFlags }: CompletionTable): string {
  const assign = (array: string, pick: (verb: CompletionVerb) => string) =>
    verbs.map((verb) => `  ${array}[${verb.name}]=${quoted(pick(verb))}`).join('\n');
  return `#compdef scs
# scs completion for zsh. Load it in this shell:   source <(scs completion zsh)   (after compinit)
# or for every shell:   scs completion zsh > "\${fpath[1]}/_scs"

_scs() {
  local -a verbs files
  local -A flags values fixed services
  verbs=(
${verbs.map((verb) => `    ${quoted(`${verb.name}:${verb.description}`)}`).join('\n')}
  )
${assign('flags', (verb) => verb.flags.join(' '))}
${assign('values', (verb) => verb.valueFlags.join(' '))}
${assign('fixed', (verb) => verb.words.join(' '))}
${verbs
  .filter((verb) => verb.services)
  .map((verb) => `  services[${verb.name}]=1`)
  .join('\n')}
  local globals=${quoted(globalFlags.join(' '))}
  local global_values=${quoted(globalValueFlags.join(' '))}
  local verb= word i
  for ((i = 2; i < CURRENT; i++)); do
    word=\${words[i]}
    if [[ -z $verb ]]; then
      if [[ " $global_values " == *" $word "* ]]; then
        [[ $word == -f || $word == --file ]] && files+=(--file "\${words[i + 1]}")
        ((i++))
      elif [[ $word != -* ]]; then
        verb=$word
      fi
    elif [[ " \${values[$verb]} " == *" $word "* ]]; then
      [[ $word == --file || ($word == -f && " \${values[$verb]} " == *" -f "*) ]] && files+=(--file "\${words[i + 1]}")
      ((i++))
    fi
  done
  local prev=\${words[CURRENT - 1]}
  if ((CURRENT > 2)); then
    case $prev in
      -f | --file)
        if [[ -z $verb || " \${values[$verb]} " == *" $prev "* ]]; then
          _files
          return
        fi
        ;;
      --ansi) compadd -- auto never always; return ;;
      --format) compadd -- table json; return ;;
    esac
    if [[ (-z $verb && " $global_values " == *" $prev "*) || (-n $verb && " \${values[$verb]} " == *" $prev "*) ]]; then
      return
    fi
  fi
  if [[ $PREFIX == -* ]]; then
    compadd -- \${=globals} \${verb:+\${=flags[$verb]}}
  elif [[ -z $verb ]]; then
    _describe 'scs command' verbs
  else
    compadd -- \${=fixed[$verb]}
    if [[ -n \${services[$verb]} ]]; then
      compadd -- \${(f)"$(scs completion --services "\${files[@]}" 2>/dev/null)"}
    fi
  fi
}

if [[ $funcstack[1] == _scs ]]; then
  _scs "$@"
else
  compdef _scs scs
fi
`;
}

function fishScript({ verbs, globalFlags, globalValueFlags }: CompletionTable): string {
  const names = verbs.map((verb) => verb.name).join(' ');
  const option = (flag: string, values: readonly string[]) => {
    const spelled = flag.startsWith('--') ? `-l ${flag.slice(2)}` : flag.length === 2 ? `-s ${flag.slice(1)}` : `-o ${flag.slice(1)}`;
    const takes = values.includes(flag) ? (flag === '-f' || flag === '--file' ? ' -r -F' : ' -r') : '';
    return `${spelled}${takes}`;
  };
  const lines = [
    '# scs completion for fish. Load it in this shell:   scs completion fish | source',
    '# or for every shell:   scs completion fish > ~/.config/fish/completions/scs.fish',
    '',
    '# The service names of the stack file found (or named with -f/--file on the line), asked of scs.',
    '# After the verb, -f is the file too, but for logs (logs -f is --follow).',
    'function __scs_services',
    '    set -l line (commandline -opc)',
    '    set -l files',
    '    set -l verb',
    '    set -l i 2',
    '    while test $i -le (count $line)',
    '        set -l word $line[$i]',
    '        set -l next (math $i + 1)',
    '        if contains -- $word --file; or begin; contains -- $word -f; and test "$verb" != logs; end',
    '            if test $next -le (count $line)',
    '                set -a files --file $line[$next]',
    '            end',
    '            set i $next',
    `        else if test -z "$verb"; and contains -- $word ${globalValueFlags.join(' ')}`,
    '            set i $next',
    '        else if test -z "$verb"; and not string match -q -- \'-*\' $word',
    '            set verb $word',
    '        end',
    '        set i (math $i + 1)',
    '    end',
    '    scs completion --services $files 2>/dev/null',
    'end',
    '',
    'complete -c scs -f',
    ...globalFlags.map((flag) => `complete -c scs ${option(flag, globalValueFlags)}`),
    'complete -c scs -l ansi -x -a "auto never always"',
    ...verbs.map(
      (verb) => `complete -c scs -n "not __fish_seen_subcommand_from ${names}" -a ${verb.name} -d ${fishQuoted(verb.description)}`,
    ),
  ];
  for (const verb of verbs) {
    const when = `-n "__fish_seen_subcommand_from ${verb.name}"`;
    for (const flag of verb.flags) lines.push(`complete -c scs ${when} ${option(flag, verb.valueFlags)}`);
    if (verb.flags.includes('--format')) lines.push(`complete -c scs ${when} -l format -x -a "table json"`);
    if (verb.words.length > 0) lines.push(`complete -c scs ${when} -a ${quoted(verb.words.join(' '))}`);
    if (verb.services) lines.push(`complete -c scs ${when} -a "(__scs_services)"`);
  }
  return `${lines.join('\n')}\n`;
}
