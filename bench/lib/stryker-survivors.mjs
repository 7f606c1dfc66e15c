// A Stryker reporter that writes each surviving mutant of the run's folders as soon as it survives,
// one line each, to reports/mutation/FOLDERS.survivors.txt: the gaps of a long run can be read (and
// closed) while it goes on, instead of after its last mutant. Stryker also reports the results it
// keeps for files the run does not mutate (the incremental file is shared); those are left out.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { commonTokens, declareClassPlugin, PluginKind } from '@stryker-mutator/api/plugin';

class SurvivorsReporter {
  static inject = [commonTokens.options, commonTokens.fileDescriptions];
  constructor(options, fileDescriptions) {
    this.fileDescriptions = fileDescriptions;
    this.file = options.jsonReporter.fileName.replace(/\.json$/, '.survivors.txt');
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileSync(this.file, '');
  }
  onMutantTested(result) {
    if (result.status !== 'Survived' && result.status !== 'NoCoverage') return;
    if (!this.fileDescriptions[result.fileName]?.mutate) return;
    const { line, column } = result.location.start;
    const where = `${relative(process.cwd(), result.fileName)}:${line}:${column + 1}`;
    appendFileSync(this.file, `${where} ${result.status} ${result.mutatorName} ${JSON.stringify(result.replacement ?? '')}\n`);
  }
}

export const strykerPlugins = [declareClassPlugin(PluginKind.Reporter, 'survivors', SurvivorsReporter)];
