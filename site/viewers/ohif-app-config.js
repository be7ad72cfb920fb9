/** OHIF Viewer 3.13 `app-config.js` for this service: served beside OHIF's index.html, in place of its own. */
window.config = {
  routerBasename: null,
  extensions: [],
  modes: [],
  showStudyList: true,
  maxNumberOfWebWorkers: 3,
  showWarningMessageForCrossOrigin: false,
  showCPUFallbackMessage: false,
  showLoadingIndicator: true,
  investigationalUseDialog: { option: 'never' },
  defaultDataSourceName: 'dicomweb',
  dataSources: [
    {
      namespace: '@ohif/extension-default.dataSourcesModule.dicomweb',
      sourceName: 'dicomweb',
      configuration: {
        friendlyName: 'DICOMweb service',
        name: 'dicomweb',
        qidoRoot: 'http://127.0.0.1:8080/v2',
        wadoRoot: 'http://127.0.0.1:8080/v2',
        wadoUriRoot: 'http://127.0.0.1:8080/v2',
        qidoSupportsIncludeField: true,
        supportsFuzzyMatching: true,
        supportsWildcard: false,
        imageRendering: 'wadors',
        thumbnailRendering: 'thumbnail',
        enableStudyLazyLoad: true,
        omitQuotationForMultipartRequest: true,
        bulkDataURI: { enabled: true },
      },
    },
  ],
};
