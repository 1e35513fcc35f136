/**
 * The default VitePress theme with Countersign's few additions (see `custom.css`).
 *
 * @module
 */
import DefaultTheme from 'vitepress/theme'
import './custom.css'

export default DefaultTheme
